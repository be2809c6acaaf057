/**
 * Who holds the speaker (ARCHITECTURE §2, the three levels of Thông tư 39/2020): one play at a time.
 * - emergency pre-empts anything that is not an emergency;
 * - otherwise nobody is pre-empted: waiting plays go in order of priority (priority before normal), then of
 *   `at`, then of arrival, when the speaker frees;
 * - a test tone (rank -1) yields to any play.
 * Contenders that become due in the same instant compete in one round: the round is deferred (with a
 * FakeClock: a zero-delay clock timer, which fires after every timer due at that instant), so a normal never
 * wins by firing first.
 */
import type { Priority } from "@loa/shared";
import { PlayAborted } from "./waits.js";

export const TONE_RANK = -1;
const RANKS: Record<Priority, number> = { normal: 0, priority: 1, emergency: 2 };
export const EMERGENCY_RANK = RANKS.emergency;

export function rankOf(priority: Priority): number {
  return RANKS[priority];
}

/** Who ends a play early: a pre-empting play, a cmd stop, or the agent shutting down. */
export type Interrupter = { kind: "play"; playId: string } | { kind: "stop"; cmdId?: string } | { kind: "shutdown" };

export interface Contender {
  readonly id: string;
  readonly rank: number;
  /** Scheduled time (cloud epoch ms): earlier goes first among equals. */
  readonly atMs: number;
  /** Called once when a higher contender takes the speaker (or by stop/shutdown); stop, then release(). */
  interrupt(by: Interrupter): void;
}

interface Waiter {
  c: Contender;
  seq: number;
  grant: () => void;
}

export function shouldPreempt(holder: Contender, challenger: Contender): boolean {
  if (holder.rank === TONE_RANK) return challenger.rank > TONE_RANK;
  return challenger.rank === EMERGENCY_RANK && holder.rank < EMERGENCY_RANK;
}

function before(a: Waiter, b: Waiter): number {
  return b.c.rank - a.c.rank || a.c.atMs - b.c.atMs || a.seq - b.seq;
}

export class Arbiter {
  private holding: Contender | undefined;
  private preempted = false;
  private readonly waiting: Waiter[] = [];
  private seq = 0;
  private roundPending = false;
  private closed = false;

  /** `defer` runs a function soon, after whatever else is due now (see above). */
  constructor(private readonly defer: (fn: () => void) => void) {}

  get holder(): Contender | undefined {
    return this.holding;
  }

  /** Resolves when `c` holds the speaker; rejects with PlayAborted when `signal` aborts first. */
  acquire(c: Contender, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new PlayAborted());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { c, seq: this.seq++, grant: () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      } };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new PlayAborted());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
      this.scheduleRound();
    });
  }

  /** `c` no longer uses the speaker (no-op if it does not hold it). */
  release(c: Contender): void {
    if (this.holding !== c) return;
    this.holding = undefined;
    this.preempted = false;
    this.scheduleRound();
  }

  /** No more rounds (shutdown). */
  cancel(): void {
    this.closed = true;
  }

  private scheduleRound(): void {
    if (this.roundPending || this.closed) return;
    this.roundPending = true;
    this.defer(() => {
      this.roundPending = false;
      if (!this.closed) this.decide();
    });
  }

  private decide(): void {
    const best = [...this.waiting].sort(before)[0];
    if (!best) return;
    if (!this.holding) {
      this.waiting.splice(this.waiting.indexOf(best), 1);
      this.holding = best.c;
      best.grant();
      return;
    }
    if (!this.preempted && shouldPreempt(this.holding, best.c)) {
      this.preempted = true;
      this.holding.interrupt({ kind: "play", playId: best.c.id });
    }
  }
}
