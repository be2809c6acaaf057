/** Waiting primitives of the player, all on the Clock port so FakeClock tests are exact. */
import type { Readable } from "node:stream";
import { LoaError, type Clock } from "@loa/shared";

/** Thrown inside a play's run when the play was withdrawn (left the plan, shutdown): ends it silently. */
export class PlayAborted extends LoaError {
  constructor() {
    super("play_aborted", "play withdrawn");
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new PlayAborted();
}

/**
 * Wakes every waiter at once: when media arrives (mediaReady) or the clock offset changes, each waiting
 * play re-checks its condition instead of each keeping its own subscription.
 */
export class Waker {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolve after `ms`, on poke(), or when `signal` aborts, whichever first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  poke(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * A signal that aborts when either source does, with `release()` to unhook it once it is no longer needed.
 * Not AbortSignal.any: on Node 20 that keeps weak references the garbage collector walks at every scavenge,
 * and the fleet simulator makes two per play for 500 players at once (scavenges of 10-15 ms at `at`).
 * It aborts with a plain AbortError, not the source's reason (nothing here reads reasons).
 */
export function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; release: () => void } {
  const ctl = new AbortController();
  if (a.aborted || b.aborted) {
    ctl.abort();
    return { signal: ctl.signal, release: () => undefined };
  }
  const abort = (): void => {
    release();
    ctl.abort();
  };
  const release = (): void => {
    a.removeEventListener("abort", abort);
    b.removeEventListener("abort", abort);
  };
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return { signal: ctl.signal, release };
}

/** Node fires timers longer than 2^31-1 ms at once; long waits go in hour-long steps. */
export const MAX_TIMER_MS = 3_600_000;

/**
 * Wait until `now() >= target` on timers (re-checked when the Waker is poked: a new clock offset). Waits that
 * need the millisecond, a play's first sample, go through the StartLine (start-line.ts) instead.
 * Throws PlayAborted when `signal` aborts.
 */
export async function waitUntil(now: () => number, target: number, waker: Waker, signal: AbortSignal): Promise<void> {
  for (;;) {
    throwIfAborted(signal);
    const left = target - now();
    if (left <= 0) return;
    await waker.wait(Math.min(left, MAX_TIMER_MS), signal);
  }
}

/**
 * Pre-roll: resolve once `pcm` holds its first data (or ended empty), so the sink can start writing the
 * instant it is asked to. Rejects with "timeout" after `timeoutMs`, PlayAborted on abort.
 */
export function firstData(pcm: Readable, clock: Clock, timeoutMs: number, signal: AbortSignal): Promise<"data" | "ended" | "timeout"> {
  if (pcm.readableLength > 0) return Promise.resolve("data");
  if (pcm.readableEnded) return Promise.resolve("ended");
  return new Promise((resolve, reject) => {
    const finish = (v: "data" | "ended" | "timeout" | "aborted"): void => {
      timer.cancel();
      pcm.off("readable", onReadable);
      pcm.off("end", onEnd);
      pcm.off("close", onEnd);
      signal.removeEventListener("abort", onAbort);
      if (v === "aborted") reject(new PlayAborted());
      else resolve(v);
    };
    const onReadable = (): void => finish(pcm.readableLength > 0 ? "data" : "ended");
    const onEnd = (): void => finish("ended");
    const onAbort = (): void => finish("aborted");
    const timer = clock.setTimeout(() => finish("timeout"), timeoutMs);
    pcm.on("readable", onReadable);
    pcm.on("end", onEnd);
    pcm.on("close", onEnd);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Settle a promise into its error (or undefined) without throwing. */
export async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err;
  }
}
