/**
 * What each simulated receiver really played, for `GET /plays` of the control interface (the end-to-end
 * tests check from it that a broadcast started on every receiver within the same few milliseconds).
 *
 * `PlayLogSink` wraps the receiver's real sink: it notes when the first sample went out, on the machine's
 * clock (the receiver's own clock may be skewed on purpose), and feeds the emulated amplifier's line input
 * while the sink plays, so the amplifier's `signal present` status bit follows the audio as on real hardware.
 */
import type { AudioSink, PlayHandle, SinkPlayOptions } from "@loa/edge-agent";
import type { Readable } from "node:stream";

export type PlayRecordStatus = "playing" | "finished" | "stopped" | "failed";

export interface PlayRecord {
  deviceId: string;
  playId: string;
  /** Machine time of the first sample (ISO, and epoch ms). */
  startedAt: string;
  startedAtMs: number;
  /** The same moment on the receiver's own (possibly skewed) clock. */
  localStartedAtMs: number;
  /** Expected length from the plan, when the player knew it. */
  durationMs?: number;
  playedMs?: number;
  status: PlayRecordStatus;
  /** WAV capture of this play (with --capture). */
  capture?: string;
}

/** A bounded, shared list of plays of the whole fleet, oldest first. */
export class PlayLog {
  private readonly records: PlayRecord[] = [];
  /** Kept records per device: the control interface lists every receiver with its count (1,000 × 100,000 to scan otherwise). */
  private readonly kept = new Map<string, number>();
  private started = 0;

  constructor(private readonly keep = 100_000) {}

  add(rec: PlayRecord): PlayRecord {
    this.records.push(rec);
    this.kept.set(rec.deviceId, (this.kept.get(rec.deviceId) ?? 0) + 1);
    this.started++;
    if (this.records.length > this.keep) {
      for (const old of this.records.splice(0, this.records.length - this.keep)) this.kept.set(old.deviceId, (this.kept.get(old.deviceId) ?? 1) - 1);
    }
    return rec;
  }

  /** Records kept for one device (what `list({deviceId}).length` would count). */
  countOf(deviceId: string): number {
    return this.kept.get(deviceId) ?? 0;
  }

  /** Plays started since the fleet started (not bounded by `keep`). */
  get count(): number {
    return this.started;
  }

  list(filter: { deviceId?: string; playId?: string; since?: number } = {}): PlayRecord[] {
    return this.records.filter(
      (r) =>
        (filter.deviceId === undefined || r.deviceId === filter.deviceId) &&
        (filter.playId === undefined || r.playId === filter.playId || r.playId.startsWith(`${filter.playId}:`)) &&
        (filter.since === undefined || r.startedAtMs >= filter.since),
    );
  }
}

export interface PlayLogSinkDeps {
  inner: AudioSink;
  deviceId: string;
  log: PlayLog;
  /** How far the receiver's clock is ahead of the machine's, now. */
  skewMs: () => number;
  /** The amplifier's line input: true while audio plays. */
  signal: (on: boolean) => void;
  /** Where a play is captured, when the inner sink writes files. */
  captureOf?: (playId: string) => string;
}

export class PlayLogSink implements AudioSink {
  private playing = 0;
  readonly prepare?: AudioSink["prepare"];

  constructor(private readonly deps: PlayLogSinkDeps) {
    const inner = deps.inner;
    if (inner.prepare) this.prepare = (opts) => inner.prepare!(opts);
  }

  /** The sink plays right now. */
  get busy(): boolean {
    return this.playing > 0;
  }

  play(pcm: Readable, opts: SinkPlayOptions): PlayHandle {
    const handle = this.deps.inner.play(pcm, opts);
    let rec: PlayRecord | undefined;
    let stopped = false;
    const started = handle.started.then((local) => {
      rec = this.begin(opts, local);
      return local;
    });
    const done = handle.done.then(
      (result) => {
        this.end(rec, result.playedMs, stopped);
        return result;
      },
      (err: unknown) => {
        this.end(rec, undefined, stopped);
        throw err;
      },
    );
    // A rejected `started` surfaces through `done` too; do not let this copy float unhandled.
    started.catch(() => undefined);
    const stop = (): void => {
      stopped = true;
      handle.stop();
    };
    return { started, done, stop };
  }

  private begin(opts: SinkPlayOptions, local: number): PlayRecord {
    const real = local - this.deps.skewMs();
    this.playing++;
    // The emulated amplifier's physics on a later turn: other receivers of the process may start this very ms.
    setImmediate(() => this.playing > 0 && this.deps.signal(true));
    return this.deps.log.add({
      deviceId: this.deps.deviceId,
      playId: opts.playId,
      startedAt: new Date(real).toISOString(),
      startedAtMs: real,
      localStartedAtMs: local,
      ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
      status: "playing",
      ...(this.deps.captureOf ? { capture: this.deps.captureOf(opts.playId) } : {}),
    });
  }

  private end(rec: PlayRecord | undefined, playedMs: number | undefined, stopped: boolean): void {
    if (!rec) return;
    this.playing = Math.max(0, this.playing - 1);
    if (this.playing === 0) this.deps.signal(false);
    if (playedMs === undefined) {
      rec.status = "failed";
      return;
    }
    rec.playedMs = playedMs;
    rec.status = stopped ? "stopped" : "finished";
  }
}
