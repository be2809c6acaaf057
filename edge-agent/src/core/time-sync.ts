/**
 * Clock offset to the cloud over MQTT, NTP-style (ARCHITECTURE §3 time/req, time/res): send `{t0}`, get
 * `{t0, t1, t2}`, offset = ((t1 - t0) + (t2 - t3)) / 2 (`clockOffset` from shared). A round takes a few
 * samples one after the other and keeps the one with the lowest round trip (the least skewed by queueing).
 * Village networks often block NTP's UDP, and a Pi has no RTC, so this is how a receiver plays on the
 * cloud's second. Resyncs every `intervalMs`, on (re)connect when stale, and on the `sync_time` command.
 *
 * The first round runs at connect, when the broker and the cloud are busiest (births, plans, a thousand
 * receivers at once after a power cut): its best round trip can be 100 ms and more, which puts up to half
 * of it into the offset. So a few more rounds follow once things settled (`settleDelaysMs` after each
 * connect, each ±25 % at random so a fleet that booted together does not ask together), and a new round
 * replaces the offset in use only when it is tighter: its error bound (half its round trip) is at most the
 * old one's plus what the device clock may have drifted since (`maxDriftPpm` × age, NTP's dispersion). A
 * result that disagrees with the old one by more than both bounds means the device clock was stepped (NTP,
 * RTC set): the new one is taken whatever its round trip.
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
  /** Extra rounds after each connect, once the connect rush is over (default 5 s, 20 s, 60 s; each ±25 %). */
  settleDelaysMs?: readonly number[];
  /** Worst drift of the device clock, for ageing an old result (default 100 ppm: a cheap crystal, warm). */
  maxDriftPpm?: number;
  /** 0..1, for the settle jitter (default Math.random). */
  random?: () => number;
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
  /** False when this round was looser than the result in use, which was kept (the fields are the kept one's). */
  fresh: boolean;
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
  private readonly opts: Required<Pick<TimeSyncDeps, "samples" | "sampleTimeoutMs" | "sampleGapMs" | "intervalMs" | "settleDelaysMs" | "maxDriftPpm" | "random">>;
  private lastResult: TimeSyncResult | undefined;
  private waiting: Waiting | undefined;
  private running: Promise<TimeSyncResult> | undefined;
  private forceNext = false;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: TimerHandle | undefined;
  private readonly settleTimers = new Set<TimerHandle>();

  constructor(private readonly deps: TimeSyncDeps) {
    this.opts = {
      samples: deps.samples ?? 5,
      sampleTimeoutMs: deps.sampleTimeoutMs ?? 2000,
      sampleGapMs: deps.sampleGapMs ?? 100,
      intervalMs: deps.intervalMs ?? 600_000,
      settleDelaysMs: deps.settleDelaysMs ?? [5_000, 20_000, 60_000],
      maxDriftPpm: deps.maxDriftPpm ?? 100,
      random: deps.random ?? Math.random,
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

  /** Sync now if online, on (re)connect when stale, a few times after each connect, and every intervalMs. */
  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.deps.link.on("online", () => {
        if (this.isStale()) this.background();
        this.settle();
      }),
    );
    this.timer = this.deps.clock.setInterval(() => this.background(), this.opts.intervalMs);
    if (this.deps.link.online) {
      this.background();
      this.settle();
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.timer?.cancel();
    this.timer = undefined;
    this.cancelSettle();
  }

  /** The follow-up rounds after a connect (a reconnect starts them over). */
  private settle(): void {
    this.cancelSettle();
    for (const delay of this.opts.settleDelaysMs) {
      const jittered = Math.round(delay * (0.75 + this.opts.random() / 2));
      const t = this.deps.clock.setTimeout(() => {
        this.settleTimers.delete(t);
        this.background();
      }, jittered);
      this.settleTimers.add(t);
    }
  }

  private cancelSettle(): void {
    for (const t of this.settleTimers) t.cancel();
    this.settleTimers.clear();
  }

  /**
   * One round now (joins a round already running). Rejects with TimeSyncError when no sample came back.
   * `force` (the operator's sync_time command) takes the new offset even when its round trip was looser.
   */
  sync(opts: { force?: boolean } = {}): Promise<TimeSyncResult> {
    // Read when the round decides, so a forced sync that joins a running round still forces it.
    if (opts.force) this.forceNext = true;
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
    const force = this.forceNext;
    this.forceNext = false;
    if (!best) {
      throw new TimeSyncError("time_sync_failed", `no time/res answered (${this.opts.samples} tries, ${this.opts.sampleTimeoutMs} ms each)`);
    }
    const fresh: TimeSyncResult = { offsetMs: Math.round(best.offsetMs), rttMs: best.rttMs, samples: got.length, at: this.deps.clock.now(), fresh: true };
    const before = this.lastResult;
    if (before && !force && !this.better(fresh, before)) {
      this.deps.log.debug({ rttMs: fresh.rttMs, offsetMs: fresh.offsetMs, keptRttMs: before.rttMs }, "time sync round looser than the offset in use: kept");
      return { ...before, fresh: false };
    }
    this.lastResult = fresh;
    this.deps.log.info({ ...fresh, changeMs: before === undefined ? null : fresh.offsetMs - before.offsetMs }, "clock offset to the cloud updated");
    try {
      this.deps.onSync?.(fresh);
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err) }, "time sync listener threw");
    }
    return fresh;
  }

  /**
   * Whether `next` should replace `prev`: its error bound (rtt/2) is no wider than prev's aged by the
   * drift allowance, or the two disagree beyond both bounds (the device clock was stepped).
   */
  private better(next: TimeSyncResult, prev: TimeSyncResult): boolean {
    const prevBound = prev.rttMs / 2 + ((next.at - prev.at) * this.opts.maxDriftPpm) / 1e6;
    const nextBound = next.rttMs / 2;
    if (nextBound <= prevBound) return true;
    return Math.abs(next.offsetMs - prev.offsetMs) > nextBound + prevBound + 1;
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
