/**
 * Clock offset to the cloud over MQTT, NTP-style (ARCHITECTURE §3 time/req, time/res): send `{t0}`, get
 * `{t0, t1, t2}`, offset = ((t1 - t0) + (t2 - t3)) / 2 (`clockOffset` from shared). A round takes a few
 * samples one after the other and keeps the one with the lowest round trip (the least skewed by queueing).
 * Village networks often block NTP's UDP, and a Pi has no RTC, so this is how a receiver plays on the
 * cloud's second. Resyncs every `intervalMs`, on (re)connect when stale, and on the `sync_time` command.
 */
import { LoaError, clockOffset, errorMessage, type Clock, type TimerHandle, type TimeResPayload } from "@loa/shared";
import type { Logger } from "pino";
import type { Link } from "../ports/link.js";

export interface TimeSyncDeps {
  link: Pick<Link, "publish" | "on" | "online">;
  /** The device clock. */
  clock: Clock;
  log: Logger;
  /** Samples per round (default 5). */
  samples?: number;
  /** A sample without answer after this long is lost (default 2000). */
  sampleTimeoutMs?: number;
  /** Pause between samples (default 100). */
  sampleGapMs?: number;
  /** Resync period (default 600 000 = 10 min). */
  intervalMs?: number;
  /** Called after every successful round (the player re-plans its waits on a new offset). */
  onSync?: (result: TimeSyncResult) => void;
}

export interface TimeSyncResult {
  /** Cloud clock minus device clock, whole ms (cloud = device + offset). */
  offsetMs: number;
  /** Round trip of the sample used. */
  rttMs: number;
  /** Samples answered in this round. */
  samples: number;
  /** Device clock when the round ended. */
  at: number;
}

export class TimeSyncError extends LoaError {
  declare readonly code: "time_sync_failed";
}

/** The device clock shifted by the current offset: `now()` is cloud time; timers are plain durations. */
export class SyncedClock implements Clock {
  constructor(
    private readonly base: Clock,
    private readonly offset: () => number,
  ) {}

  now(): number {
    return this.base.now() + this.offset();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.base.setTimeout(fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.base.setInterval(fn, ms);
  }

  sleep(ms: number): Promise<void> {
    return this.base.sleep(ms);
  }
}

interface Waiting {
  t0: number;
  answer(res: TimeResPayload): void;
}

type Sample = { offsetMs: number; rttMs: number };

export class TimeSync {
  /** Cloud time for the player and command expiry: device clock + offset (offset 0 before the first sync). */
  readonly clock: Clock;
  private readonly opts: Required<Pick<TimeSyncDeps, "samples" | "sampleTimeoutMs" | "sampleGapMs" | "intervalMs">>;
  private lastResult: TimeSyncResult | undefined;
  private waiting: Waiting | undefined;
  private running: Promise<TimeSyncResult> | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: TimerHandle | undefined;

  constructor(private readonly deps: TimeSyncDeps) {
    this.opts = {
      samples: deps.samples ?? 5,
      sampleTimeoutMs: deps.sampleTimeoutMs ?? 2000,
      sampleGapMs: deps.sampleGapMs ?? 100,
      intervalMs: deps.intervalMs ?? 600_000,
    };
    this.clock = new SyncedClock(deps.clock, () => this.lastResult?.offsetMs ?? 0);
    // Always listening, so sync() works with or without start().
    deps.link.on("timeRes", (res) => this.onTimeRes(res));
  }

  /** Undefined until the first successful round. */
  get offsetMs(): number | undefined {
    return this.lastResult?.offsetMs;
  }

  get last(): TimeSyncResult | undefined {
    return this.lastResult;
  }

  get synced(): boolean {
    return this.lastResult !== undefined;
  }

  now(): number {
    return this.clock.now();
  }

  /** Sync now if online, on (re)connect when stale, and every intervalMs. */
  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.deps.link.on("online", () => {
        if (this.isStale()) this.background();
      }),
    );
    this.timer = this.deps.clock.setInterval(() => this.background(), this.opts.intervalMs);
    if (this.deps.link.online) this.background();
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One round now (joins a round already running). Rejects with TimeSyncError when no sample came back. */
  sync(): Promise<TimeSyncResult> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private background(): void {
    if (!this.deps.link.online) return;
    this.sync().catch((err: unknown) => this.deps.log.warn({ err: errorMessage(err) }, "time sync failed"));
  }

  private isStale(): boolean {
    return !this.lastResult || this.deps.clock.now() - this.lastResult.at >= this.opts.intervalMs;
  }

  private async round(): Promise<TimeSyncResult> {
    const got: Sample[] = [];
    for (let i = 0; i < this.opts.samples; i++) {
      if (i > 0) await this.deps.clock.sleep(this.opts.sampleGapMs);
      if (!this.deps.link.online) break;
      const s = await this.sample();
      if (s && s.rttMs >= 0) got.push(s);
    }
    const best = got.reduce<Sample | undefined>((a, s) => (!a || s.rttMs < a.rttMs ? s : a), undefined);
    if (!best) {
      throw new TimeSyncError("time_sync_failed", `no time/res answered (${this.opts.samples} tries, ${this.opts.sampleTimeoutMs} ms each)`);
    }
    const before = this.lastResult?.offsetMs;
    const result = { offsetMs: Math.round(best.offsetMs), rttMs: best.rttMs, samples: got.length, at: this.deps.clock.now() };
    this.lastResult = result;
    this.deps.log.info({ ...result, changeMs: before === undefined ? null : result.offsetMs - before }, "clock offset to the cloud updated");
    try {
      this.deps.onSync?.(result);
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err) }, "time sync listener threw");
    }
    return result;
  }

  /** One exchange; undefined when lost, timed out or not sendable. */
  private sample(): Promise<Sample | undefined> {
    const { clock, link, log } = this.deps;
    return new Promise((resolve) => {
      const t0 = clock.now();
      const finish = (s: Sample | undefined): void => {
        timer.cancel();
        if (this.waiting?.t0 === t0) this.waiting = undefined;
        resolve(s);
      };
      const timer = clock.setTimeout(() => finish(undefined), this.opts.sampleTimeoutMs);
      this.waiting = { t0, answer: (res) => finish(clockOffset(res, clock.now())) };
      link.publish("timeReq", { t0 }).catch((err: unknown) => {
        log.debug({ err: errorMessage(err) }, "time/req not sent");
        finish(undefined);
      });
    });
  }

  private onTimeRes(res: TimeResPayload): void {
    // A late answer to a timed-out sample carries an old t0: using it would skew the offset.
    if (this.waiting?.t0 === res.t0) this.waiting.answer(res);
    else this.deps.log.debug({ t0: res.t0 }, "time/res without a matching request ignored");
  }
}
