/**
 * Starts things at an exact moment (ARCHITECTURE §2 Play: every receiver on the same second): a timer on the
 * Clock to `fineWaitMs` before the target, then a look every turn of the event loop, and the start itself
 * called synchronously from that look, not at the end of a chain of awaits.
 *
 * Players may share one StartLine (the fleet simulator runs 500 receivers in a process): one look per turn
 * then serves them all, and every start due in the same turn runs in one tight loop. What follows a start
 * waits until no other start is due soon: `at()` resolves only then (the start itself already happened), so
 * the callers' bookkeeping (reports, files) never holds a start back. A receiver on its own board has its own
 * line; the fleet passes one in.
 * With a FakeClock (fineWaitMs 0) only the timer is used, so tests stay exact.
 */
import { SystemClock, type Clock, type TimerHandle } from "@loa/shared";
import { MAX_TIMER_MS, PlayAborted } from "./waits.js";

/** The fine wait on the real clock: timers alone may fire a few ms late; looking each turn costs little. */
export const REAL_CLOCK_FINE_WAIT_MS = 15;
/**
 * The last stretch on the real clock that a look waits out without giving the turn back: a turn of the event
 * loop runs every I/O callback ready by then, which on a busy process (a download; 500 receivers' amplifier
 * polls and telemetry in the fleet simulator) can take several ms, and a start due in that time would wait.
 */
export const REAL_CLOCK_SPIN_MS = 2;

export interface StartLineDeps {
  clock: Clock;
  /** Last stretch before a target looked at every loop turn (15 ms on the real clock; 0 with a FakeClock). */
  fineWaitMs: number;
  /**
   * Within this of the next target a look keeps looking instead of giving the turn back (REAL_CLOCK_SPIN_MS on
   * the real clock; default 0: never, as a FakeClock does not move while a look runs).
   */
  spinMs?: number;
}

interface Waiting {
  now: () => number;
  target: number;
  start: () => unknown;
  /** Set once `start` ran: an abort after it no longer withdraws anything. */
  fired?: boolean;
  settle: (err: unknown, value?: unknown) => void;
  timer?: TimerHandle;
}

export class StartLine {
  private readonly clock: Clock;
  private readonly fineWaitMs: number;
  private readonly spinMs: number;
  /** Waiting on their timer. */
  private readonly timed = new Set<Waiting>();
  /** Within fineWaitMs of their target: looked at every turn. */
  private readonly hot = new Set<Waiting>();
  private looking = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** Started, waiting for the line to be idle before their callers hear of it. */
  private readonly fired: { w: Waiting; err: unknown; value: unknown }[] = [];
  private idleCheck: TimerHandle | undefined;

  constructor(deps: StartLineDeps) {
    this.clock = deps.clock;
    this.fineWaitMs = deps.fineWaitMs;
    this.spinMs = Math.min(deps.spinMs ?? 0, deps.fineWaitMs);
  }

  /** A line on the machine's clock, for the receivers of one process to share (the fleet simulator). */
  static forRealClock(): StartLine {
    return new StartLine({ clock: new SystemClock(), fineWaitMs: REAL_CLOCK_FINE_WAIT_MS, spinMs: REAL_CLOCK_SPIN_MS });
  }

  /**
   * Call `start` once `now() >= target` (`now` is the caller's clock, e.g. cloud time) and resolve with what it
   * returns (reject with what it throws) once the line is idle (see idle()). Rejects with PlayAborted when
   * `signal` aborts before the start.
   */
  at<T>(now: () => number, target: number, start: () => T, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(new PlayAborted());
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (w.fired) return;
        this.drop(w);
        reject(new PlayAborted());
      };
      const w: Waiting = {
        now, target, start,
        // Runs once the line is idle, not in the look that started it (see fire).
        settle: (err, value) => {
          signal.removeEventListener("abort", onAbort);
          if (err === undefined) resolve(value as T);
          else reject(err);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.place(w);
    });
  }

  /**
   * Resolves once no start is due within twice fineWaitMs (at once when none is): work after a start waits
   * for it, so it never delays a start due a few ms later (clock offsets differ a little between receivers).
   */
  idle(): Promise<void> {
    if (!this.busySoon()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdleLater();
    });
  }

  /** Milliseconds until the earliest waiting start is due (undefined when none waits). */
  nextDueIn(): number | undefined {
    let next: number | undefined;
    for (const set of [this.timed, this.hot]) {
      for (const w of set) {
        const left = w.target - w.now();
        if (next === undefined || left < next) next = left;
      }
    }
    return next;
  }

  /** The caller's clock moved (a new offset to the cloud): every waiting start is timed again. */
  poke(): void {
    for (const w of [...this.timed, ...this.hot]) {
      this.drop(w);
      this.place(w);
    }
  }

  private busySoon(): boolean {
    if (this.hot.size > 0) return true;
    for (const w of this.timed) if (w.target - w.now() <= 2 * this.fineWaitMs) return true;
    return false;
  }

  private checkIdleLater(): void {
    if (this.idleCheck) return;
    this.idleCheck = this.clock.setTimeout(() => {
      this.idleCheck = undefined;
      if (this.busySoon()) return this.checkIdleLater();
      this.releaseIdle();
    }, Math.max(1, this.fineWaitMs));
  }

  /** After starts: the callers waiting for idle need not wait for the next check when nothing is due soon. */
  private wakeIfIdle(): void {
    if (this.idleWaiters.length === 0 || this.busySoon()) return;
    this.idleCheck?.cancel();
    this.idleCheck = undefined;
    this.releaseIdle();
  }

  private releaseIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private place(w: Waiting): void {
    const left = w.target - w.now();
    if (left <= 0) {
      this.fire(w);
      return this.wakeIfIdle();
    }
    if (left > this.fineWaitMs) {
      this.timed.add(w);
      w.timer = this.clock.setTimeout(() => {
        this.timed.delete(w);
        this.place(w);
      }, Math.min(left - this.fineWaitMs, MAX_TIMER_MS));
      return;
    }
    this.hot.add(w);
    this.lookNextTurn();
  }

  private drop(w: Waiting): void {
    w.timer?.cancel();
    this.timed.delete(w);
    this.hot.delete(w);
  }

  private lookNextTurn(): void {
    if (this.looking) return;
    this.looking = true;
    setImmediate(() => {
      this.looking = false;
      // Within spinMs of the next start the look goes on without giving the turn back, at most twice spinMs
      // (measured on the machine's monotonic clock, whatever the callers' clocks do).
      const spinEnd = performance.now() + 2 * this.spinMs;
      for (;;) {
        const soonest = this.lookOnce();
        if (soonest === undefined || soonest > this.spinMs || performance.now() >= spinEnd) break;
      }
      this.wakeIfIdle();
    });
  }

  /**
   * One pass over the hot set, no copies (this runs every turn for every start of the process in its last
   * stretch): fires what is due; gives the ms until the next hot start (undefined when none is left).
   */
  private lookOnce(): number | undefined {
    let due: Waiting[] | undefined;
    let soonest: number | undefined;
    for (const w of this.hot) {
      const left = w.target - w.now();
      if (left <= 0) (due ??= []).push(w);
      else if (left > this.fineWaitMs) {
        // A clock moved back (poke) left it far from its target again: back to a timer.
        this.hot.delete(w);
        this.place(w);
      } else if (soonest === undefined || left < soonest) soonest = left;
    }
    // The next look is queued before what the starts queue (a sink's own next-turn work), so a start due a
    // millisecond later does not wait behind it.
    if (soonest !== undefined) this.lookNextTurn();
    for (const w of due ?? []) {
      // A start may have withdrawn (abort) or re-timed (poke) one due later in this same pass.
      if (!this.hot.delete(w)) continue;
      this.fire(w);
    }
    return soonest;
  }

  /**
   * Only the start itself runs here; telling the caller (listener removal, promise settlement) waits for
   * idle(), so the next start of the same look follows at once. In a fleet process that is what lets 500
   * starts due in the same millisecond run within a few ms.
   */
  private fire(w: Waiting): void {
    w.fired = true;
    let value: unknown;
    let err: unknown;
    try {
      value = w.start();
    } catch (e) {
      err = e ?? new Error("start failed");
    }
    this.fired.push({ w, err, value });
    if (this.fired.length === 1) void this.idle().then(() => this.settleFired());
  }

  private settleFired(): void {
    for (const { w, err, value } of this.fired.splice(0)) w.settle(err, value);
  }
}
