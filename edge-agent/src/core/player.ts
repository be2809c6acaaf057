/**
 * The player (ARCHITECTURE §2 Play, §5, §6): plays the device plan on time by the receiver's own clock.
 *
 * Per plan item: at `at - max(warmupMs + ampMarginMs, prerollMs)` it powers the amplifier (muted) and sets
 * the volume, waits for the media, starts ffmpeg and buffers the first PCM (pre-roll); `armAheadMs` before
 * `at` it asks the Arbiter for the speaker (priorities.ts) and the amplifier to unmute; at `at` exactly the
 * StartLine (start-line.ts) hands the PCM to the sink. It reports play_started (real start) and
 * play_finished / play_interrupted / play_failed; past items are play_missed.
 *
 * Decisions (documented for operators and the cloud):
 * - Media late: the play waits and starts late (play_started{late:true, lateMs}) until `at + mediaGraceMs`
 *   (60 s normal/priority, unlimited emergency), then play_failed{reason:"media_not_ready"}.
 * - Speaker busy: priority goes before normal, same priority in order of `at`; the waiting play starts late
 *   when the speaker frees, up to `at + queueGraceMs` (30 min; unlimited emergency), then
 *   play_failed{reason:"queue_timeout"}. Only an emergency pre-empts: a play on air gets play_interrupted, a
 *   play only armed (first sample still ahead) queues again and starts after the emergency.
 * - An item is play_missed when the player first sees it after `at + durationMs` (the receiver was off or
 *   the plan came too late); an item seen within that window starts late (subject to the media grace).
 * - The first sample never goes out before the amplifier's warm-up ended (play_now with the amp off starts
 *   warmupMs later; a plan item that arrived too late to warm up starts late by that much).
 * - A play is marked handled at play_started (a crash mid-play must not replay it from the top after the
 *   restart) or at its failed/missed report.
 * - A plan change never stops a play that already started (the cloud may roll it out of the horizon);
 *   cancelling what plays is cmd stop.
 * - stop(cmdId): play_interrupted{byCmdId} with the played time; queued plays then go ahead. shutdown():
 *   play_interrupted without byPlayId/byCmdId. Pre-emption: play_interrupted{byPlayId: the emergency}.
 * - Amplifier failing: see PlayerOptions.ampFailure (default "play": the sink still runs, amp_fault with the
 *   playId in `detail` once per play; the amplifier driver reports its own amp_fault/amp_recovered too).
 */
import { errorMessage, isLoaError, SystemClock, type Clock, type Priority } from "@loa/shared";
import type { Logger } from "pino";
import type { AudioSink, DecodeJob, Decoder, PlayHandle } from "../ports/audio.js";
import { AmpControl } from "./amp-control.js";
import { Arbiter, rankOf, type Contender, type Interrupter } from "./priorities.js";
import {
  DEFAULT_PLAYER_OPTIONS,
  type CurrentPlay,
  type HandledPlays,
  type MediaLookup,
  type PlanItem,
  type PlayerDeps,
  type PlayerEvent,
  type PlayerOptions,
  type PlayFailReason,
  type PlayNowItem,
  type ToneRequest,
  type ToneResult,
} from "./player-types.js";
import { REAL_CLOCK_FINE_WAIT_MS, REAL_CLOCK_SPIN_MS, StartLine } from "./start-line.js";
import { PlayerError, playTone, type ToneContext } from "./test-tone.js";
import { eitherSignal, errorOf, firstData, PlayAborted, throwIfAborted, waitUntil, Waker } from "./waits.js";

/** Speaker and unmute this long before `at` on the real clock (PlayerOptions.armAheadMs). */
const REAL_CLOCK_ARM_AHEAD_MS = 250;

/** A play ends with this reason; becomes play_failed. */
class PlayFailure extends Error {
  constructor(readonly reason: PlayFailReason, detail: string) {
    super(detail);
  }
}

/** The play_interrupted fields naming who interrupted (shared/src/protocol/events.ts). */
function interrupter(by: Interrupter): { byPlayId?: string; byCmdId?: string } {
  if (by.kind === "play") return { byPlayId: by.playId };
  if (by.kind === "stop" && by.cmdId !== undefined) return { byCmdId: by.cmdId };
  return {};
}

type Phase = "scheduled" | "preparing" | "queued" | "playing" | "done";

interface Entry extends Contender {
  readonly item: PlanItem;
  readonly source: "plan" | "now";
  phase: Phase;
  readonly ctl: AbortController;
  job?: DecodeJob;
  prepared?: { cancel(): void } | undefined;
  handle?: PlayHandle;
  amp: { settled: boolean; error?: unknown };
  ampFaultReported: boolean;
  interruptedBy?: Interrupter;
  since?: string;
  /** Aborted when the play is pre-empted while armed (speaker held, first sample not yet out). */
  arming?: AbortController;
}

export class Player {
  private readonly clock: Clock;
  private readonly offset: () => number;
  private readonly media: MediaLookup;
  private readonly decoder: Decoder;
  private readonly sink: AudioSink;
  private readonly handled: HandledPlays;
  private readonly log: Logger;
  private readonly opts: PlayerOptions;
  private readonly amp: AmpControl;
  private readonly arbiter: Arbiter;
  private readonly waker: Waker;
  private readonly startLine: StartLine;
  private readonly entries = new Map<string, Entry>();
  private readonly runs = new Set<Promise<void>>();
  private readonly emitFn: PlayerDeps["emit"];
  private readonly tone: ToneContext;
  /** Run `fn` on a later turn of the event loop (FakeClock: a 0 ms timer, so tests stay exact). */
  private readonly later: (fn: () => void) => void;
  private closed = false;

  constructor(deps: PlayerDeps) {
    this.clock = deps.clock;
    this.offset = deps.clockOffsetMs;
    this.media = deps.media;
    this.decoder = deps.decoder;
    this.sink = deps.sink;
    this.handled = deps.handled;
    this.log = deps.log;
    this.emitFn = deps.emit;
    const realTime = deps.clock instanceof SystemClock;
    this.opts = { ...DEFAULT_PLAYER_OPTIONS, fineWaitMs: realTime ? REAL_CLOCK_FINE_WAIT_MS : 0, armAheadMs: realTime ? REAL_CLOCK_ARM_AHEAD_MS : 0, ...deps.options };
    this.amp = new AmpControl(deps.amp, deps.clock, deps.log, this.opts.idleOffS * 1000);
    // On the real clock a zero-delay timer costs 1 ms or more; the next loop turn is enough there.
    this.later = realTime ? (fn) => void setImmediate(fn) : (fn) => void deps.clock.setTimeout(fn, 0);
    this.arbiter = new Arbiter(this.later);
    this.waker = new Waker(deps.clock);
    this.startLine = deps.startLine ?? new StartLine({ clock: deps.clock, fineWaitMs: this.opts.fineWaitMs, spinMs: realTime ? REAL_CLOCK_SPIN_MS : 0 });
    this.tone = {
      clock: this.clock, amp: this.amp, arbiter: this.arbiter, decoder: this.decoder, sink: this.sink,
      cloudNow: () => this.cloudNow(), rest: () => this.rest(),
    };
  }

  /** Replace the plan wholesale (ARCHITECTURE §3 plan): new items are scheduled, vanished ones dropped. */
  setPlan(items: readonly PlanItem[]): void {
    if (this.closed) return;
    const wanted = new Map(items.map((i) => [i.playId, i]));
    for (const e of [...this.entries.values()]) {
      if (e.source !== "plan" || e.phase === "playing" || e.phase === "done") continue;
      const next = wanted.get(e.id);
      if (!next || JSON.stringify(next) !== JSON.stringify(e.item)) this.withdraw(e);
    }
    for (const item of items) {
      if (this.entries.has(item.playId) || this.handled.isHandled(item.playId)) continue;
      const atMs = Date.parse(item.at);
      if (Number.isNaN(atMs)) {
        this.log.warn({ playId: item.playId, at: item.at }, "plan item with an unreadable time ignored");
        continue;
      }
      if (this.cloudNow() > atMs + item.media.durationMs) {
        this.handled.markHandled(item.playId);
        this.emit({ type: "play_missed", playId: item.playId });
        continue;
      }
      this.schedule(item, atMs, "plan");
    }
  }

  /** cmd play_now: play as soon as media and pre-roll allow. False when that playId is known or handled. */
  playNow(item: PlayNowItem): boolean {
    if (this.closed || this.entries.has(item.playId) || this.handled.isHandled(item.playId)) return false;
    const atMs = item.at !== undefined ? Date.parse(item.at) : Number.NaN;
    const at = Number.isNaN(atMs) ? this.cloudNow() : atMs;
    this.schedule({ ...item, at: new Date(at).toISOString() }, at, "now");
    return true;
  }

  /** The media cache completed `sha256`: plays waiting for it start now. */
  mediaReady(_sha256: string): void {
    this.waker.poke();
  }

  /** The clock offset changed (sync_time): every waiting play re-computes its wait. */
  reschedule(): void {
    this.waker.poke();
    this.startLine.poke();
  }

  /** cmd stop: cut what plays now (a play or a test tone). False when nothing plays. */
  stop(cmdId?: string): boolean {
    const holder = this.arbiter.holder;
    // A play only armed (speaker held, first sample still ahead) is not on air: stop leaves it alone.
    if (!holder || this.entries.get(holder.id)?.phase === "queued") return false;
    holder.interrupt(cmdId === undefined ? { kind: "stop" } : { kind: "stop", cmdId });
    return true;
  }

  /**
   * cmd set_volume: the volume of plays without their own (the plan's "absent = the device's current volume"),
   * applied at once (ramped) if something is on air. Goes through the player so one owner drives the amp.
   */
  setVolume(volume: number): void {
    if (!(Number.isInteger(volume) && volume >= 0 && volume <= 100)) throw new PlayerError("invalid_args", "volume must be an integer 0-100");
    this.opts.defaultVolume = volume;
    if (this.arbiter.holder) this.amp.startPlay(volume).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, "set volume failed"));
  }

  /** cmd test_tone: a generated sine through amp and sink. Rejects with PlayerError (player_busy, invalid_args). */
  testTone(req: ToneRequest): Promise<ToneResult> {
    return playTone(this.tone, req, this.closed);
  }

  /** Something holds the speaker: a play on air or armed to start within armAheadMs, or a test tone. */
  busy(): boolean {
    return this.arbiter.holder !== undefined;
  }

  current(): CurrentPlay | null {
    for (const e of this.entries.values()) {
      if (e.phase === "playing" && e.since) return { kind: "play", playId: e.id, since: e.since, priority: e.item.priority };
    }
    return this.tone.current ?? null;
  }

  /** Stop playback (play_interrupted without byPlayId/byCmdId), drop pending plays, then mute, volume 0, power off. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of [...this.entries.values()]) {
      if (e.phase === "playing") e.interrupt({ kind: "shutdown" });
      else this.withdraw(e);
    }
    this.tone.interrupt?.({ kind: "shutdown" });
    await Promise.allSettled([...this.runs, this.tone.running ?? Promise.resolve()]);
    this.arbiter.cancel();
    await this.amp.shutdown();
  }

  private cloudNow(): number {
    return this.clock.now() + this.offset();
  }

  private iso(localMs: number): string {
    return new Date(localMs + this.offset()).toISOString();
  }

  private schedule(item: PlanItem, atMs: number, source: Entry["source"]): void {
    const e: Entry = {
      id: item.playId, rank: rankOf(item.priority), atMs, item, source, phase: "scheduled",
      ctl: new AbortController(), amp: { settled: false }, ampFaultReported: false,
      interrupt: (by) => {
        e.interruptedBy ??= by;
        e.handle?.stop();
        // Pre-empted while armed: give the speaker back now, not at this play's `at` (see arm()).
        if (!e.handle && by.kind === "play") e.arming?.abort();
      },
    };
    this.entries.set(item.playId, e);
    const run = this.run(e);
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  private withdraw(e: Entry): void {
    if (this.entries.get(e.id) === e) this.entries.delete(e.id);
    e.ctl.abort();
  }

  private async run(e: Entry): Promise<void> {
    try {
      const lead = Math.max(this.amp.warmupMs + this.opts.ampMarginMs, this.opts.prerollMs);
      await this.waitUntilCloud(e.atMs - lead, e.ctl.signal);
      e.phase = "preparing";
      this.prepareAmp(e);
      const path = await this.waitForMedia(e);
      e.job = this.decoder.decode({ kind: "file", path });
      await this.preroll(e, e.job);
      // Open the output ahead too, unless another play holds it (a second aplay on a busy device fails).
      if (!this.arbiter.holder) e.prepared = this.sink.prepare?.({ playId: e.id, durationMs: e.item.media.durationMs });
      await this.waitUntilCloud(e.atMs - this.opts.armAheadMs, e.ctl.signal);
      e.phase = "queued";
      const { unmute, handle } = await this.arm(e, e.job);
      await this.perform(e, e.job, handle, unmute);
    } catch (err) {
      this.failed(e, err);
    } finally {
      e.phase = "done";
      e.job?.kill();
      e.prepared?.cancel();
      this.arbiter.release(e);
      if (this.entries.get(e.id) === e) this.entries.delete(e.id);
      this.rest();
    }
  }

  private failed(e: Entry, err: unknown): void {
    if (err instanceof PlayAborted) return;
    const reason: PlayFailReason = err instanceof PlayFailure ? err.reason : "sink_failed";
    this.log.warn({ playId: e.id, reason, err: errorMessage(err) }, "play failed");
    this.handled.markHandled(e.id);
    this.emit({ type: "play_failed", playId: e.id, reason });
  }

  /** Waits that need no millisecond (preparing, arming, warm-up): timers only; the start itself is the StartLine's. */
  private waitUntilCloud(target: number, signal: AbortSignal): Promise<void> {
    return waitUntil(() => this.cloudNow(), target, this.waker, signal);
  }

  /**
   * An amplifier powered late (play_now, an item that arrived just before its time) gets its warm-up before
   * the first sample (ARCHITECTURE §5: the first word is not clipped); the start is then reported late.
   * A power-on still in flight is not waited for: a dead amplifier must not hold the audio back.
   */
  private async waitForWarmup(e: Entry): Promise<void> {
    const ready = this.amp.readyAt();
    if (ready !== undefined && ready > this.clock.now()) await this.waitUntilCloud(ready + this.offset(), e.ctl.signal);
  }

  private prepareAmp(e: Entry): void {
    // Never change the volume under a play that is on air; startPlay sets it when this one starts.
    const volume = this.arbiter.holder ? undefined : (e.item.volume ?? this.opts.defaultVolume);
    this.amp.prepare(volume).then(
      () => (e.amp = { settled: true }),
      (error: unknown) => (e.amp = { settled: true, error }),
    );
  }

  private async waitForMedia(e: Entry): Promise<string> {
    const deadline = e.atMs + this.opts.mediaGraceMs[e.item.priority];
    for (;;) {
      throwIfAborted(e.ctl.signal);
      const path = this.media.pathOf(e.item.media.sha256);
      if (path !== undefined) return path;
      const left = deadline - this.cloudNow();
      if (left <= 0) throw new PlayFailure("media_not_ready", `media ${e.item.media.sha256} not in cache`);
      // An infinite grace still re-checks hourly; mediaReady() wakes it at once anyway.
      await this.waker.wait(Math.min(left, 3_600_000), e.ctl.signal);
    }
  }

  private async preroll(e: Entry, job: DecodeJob): Promise<void> {
    const got = await firstData(job.pcm, this.clock, this.opts.decodeTimeoutMs, e.ctl.signal);
    if (got === "timeout") throw new PlayFailure("decode_failed", `no audio from the decoder within ${this.opts.decodeTimeoutMs} ms`);
    if (got === "ended") {
      const err = await errorOf(job.done);
      if (err) throw new PlayFailure("decode_failed", errorMessage(err));
    }
  }

  private async acquire(e: Entry): Promise<void> {
    const grace = this.opts.queueGraceMs[e.item.priority];
    const timeout = new AbortController();
    const timer = Number.isFinite(grace) ? this.clock.setTimeout(() => timeout.abort(), e.atMs + grace - this.cloudNow()) : undefined;
    const either = eitherSignal(e.ctl.signal, timeout.signal);
    try {
      await this.arbiter.acquire(e, either.signal);
    } catch (err) {
      if (e.ctl.signal.aborted || !timeout.signal.aborted) throw err;
      throw new PlayFailure("queue_timeout", `speaker busy for more than ${grace} ms after at`);
    } finally {
      timer?.cancel();
      either.release();
    }
  }

  /**
   * Everything before the first sample, done ahead (from `at - armAheadMs`): take the speaker, let the warm-up
   * end, ask for the unmute; then the StartLine starts the sink at `at` (start-line.ts), so a start lands within
   * a millisecond or two of `at` even where 500 players share one process (the fleet simulator), and on a board
   * the unmute's Modbus write (~10 ms at 9600 baud) is done before the first word. An emergency thus takes the
   * speaker up to armAheadMs before its `at`; a play it pre-empts before its first sample was never on air, so
   * it queues again and starts after the emergency. Gives the sink's handle and the unmute in flight, whose
   * failure is reported after play_started (the play goes on, ampFailure "play"); wrapped, as an async function
   * would wait for a promise it returns.
   */
  private async arm(e: Entry, job: DecodeJob): Promise<{ unmute: Promise<{ err: unknown } | undefined>; handle: PlayHandle }> {
    for (;;) {
      await this.waitForWarmup(e);
      await this.acquire(e);
      if (this.yielded(e)) continue;
      if (e.amp.settled && e.amp.error !== undefined) {
        if (this.opts.ampFailure === "fail") throw new PlayFailure("amp_unreachable", errorMessage(e.amp.error));
        this.ampFault(e, e.amp.error);
      }
      const unmute = this.amp.startPlay(e.item.volume ?? this.opts.defaultVolume).then(() => undefined, (err: unknown) => ({ err }));
      const handle = await this.startAt(e, job);
      if (handle) return { unmute, handle };
      this.yielded(e);
    }
  }

  /** The sink started at `at` by the StartLine; undefined when pre-empted before (the speaker is then yielded). */
  private async startAt(e: Entry, job: DecodeJob): Promise<PlayHandle | undefined> {
    const arming = new AbortController();
    e.arming = arming;
    const either = eitherSignal(e.ctl.signal, arming.signal);
    try {
      return await this.startLine.at(() => this.cloudNow(), e.atMs, () => this.startSink(e, job), either.signal);
    } catch (err) {
      if (err instanceof PlayAborted && arming.signal.aborted && !e.ctl.signal.aborted) return undefined;
      throw err;
    } finally {
      e.arming = undefined;
      either.release();
    }
  }

  /** At `at`, called by the StartLine: the first sample goes out (unless pre-empted before it: undefined). */
  private startSink(e: Entry, job: DecodeJob): PlayHandle | undefined {
    if (e.interruptedBy?.kind === "play") return undefined;
    throwIfAborted(e.ctl.signal);
    e.phase = "playing";
    const handle = this.sink.play(job.pcm, { playId: e.id, durationMs: e.item.media.durationMs });
    e.handle = handle;
    if (e.interruptedBy !== undefined) handle.stop();
    return handle;
  }

  /** Pre-empted by a play before its first sample: give the speaker back to queue again (see arm). */
  private yielded(e: Entry): boolean {
    if (e.interruptedBy?.kind !== "play") return false;
    e.interruptedBy = undefined;
    this.arbiter.release(e);
    return true;
  }

  private async perform(e: Entry, job: DecodeJob, handle: PlayHandle, unmute: Promise<{ err: unknown } | undefined>): Promise<void> {
    let startedLocal: number;
    try {
      startedLocal = await handle.started;
    } catch (err) {
      throw new PlayFailure("sink_failed", errorMessage(err));
    }
    // The play_started report waits one loop turn (the StartLine resolved only once no other start was due
    // soon): where many players share a process (the fleet simulator) bookkeeping never holds a start back.
    await new Promise<void>((resolve) => this.later(resolve));
    this.announceStart(e, startedLocal);
    void unmute.then((failed) => failed && this.ampFault(e, failed.err));
    const result = await handle.done.catch((err: unknown) => new PlayFailure("sink_failed", errorMessage(err)));
    if (result instanceof PlayFailure) return this.emitFailure(e, result);
    if (e.interruptedBy === undefined) {
      const decodeErr = await errorOf(job.done);
      if (decodeErr) return this.emitFailure(e, new PlayFailure("decode_failed", errorMessage(decodeErr)));
      this.log.info({ playId: e.id, playedMs: result.playedMs }, "play finished");
      return this.emit({ type: "play_finished", playId: e.id, playedMs: result.playedMs });
    }
    this.log.info({ playId: e.id, by: e.interruptedBy, playedMs: result.playedMs }, "play interrupted");
    this.emit({ type: "play_interrupted", playId: e.id, ...interrupter(e.interruptedBy), playedMs: result.playedMs });
  }

  private announceStart(e: Entry, startedLocal: number): void {
    e.since = this.iso(startedLocal);
    this.handled.markHandled(e.id);
    const lateMs = Math.round(startedLocal + this.offset() - e.atMs);
    const late = e.source === "plan" && lateMs > this.opts.lateToleranceMs;
    this.log.info({ playId: e.id, priority: e.item.priority, lateMs }, "play started");
    this.emit({ type: "play_started", playId: e.id, at: e.item.at, startedAt: e.since, ...(late ? { late: true as const, lateMs } : {}) });
  }

  /** After play_started a failure is still reported, as play_failed (the start stays on record). */
  private emitFailure(e: Entry, f: PlayFailure): void {
    this.log.warn({ playId: e.id, reason: f.reason, err: f.message }, "play failed after start");
    this.emit({ type: "play_failed", playId: e.id, reason: f.reason });
  }

  private ampFault(e: Entry, err: unknown): void {
    if (e.ampFaultReported) return;
    e.ampFaultReported = true;
    const code = isLoaError(err) ? ` (${err.code})` : "";
    this.emit({ type: "amp_fault", code: "unreachable", detail: `play ${e.id}: ${errorMessage(err)}${code}` });
  }

  /** Nothing on air or about to be: mute now, power off after idleOffS (unless a play prepares by then). */
  private rest(): void {
    const busy = (): boolean => this.arbiter.holder !== undefined || [...this.entries.values()].some((x) => x.phase !== "scheduled" && x.phase !== "done");
    if (!busy()) this.amp.rest(busy);
  }

  private emit(event: PlayerEvent): void {
    try {
      const r = this.emitFn(event);
      if (r instanceof Promise) r.catch((err: unknown) => this.log.error({ err: errorMessage(err), event: event.type }, "emit failed"));
    } catch (err) {
      this.log.error({ err: errorMessage(err), event: event.type }, "emit failed");
    }
  }
}

export type { Priority };
