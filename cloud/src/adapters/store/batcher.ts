/**
 * Group commit (ARCHITECTURE §8: "writes are batched"): work queued while nothing is being written is
 * flushed on the next turn of the event loop (or after `windowMs`); work queued while a flush runs waits for
 * it and goes out together in the next one. So N concurrent callers cost about two disk writes, not N.
 */
import type { Clock } from "@loa/shared";

export interface BatcherDeps<W> {
  clock: Clock;
  /** Extra wait for more work before flushing; 0 flushes on the next turn of the event loop. */
  windowMs: number;
  /** Write one batch; must not throw synchronously. Called one batch at a time. */
  flush: (batch: W[]) => Promise<void>;
}

export class Batcher<W> {
  private queue: W[] = [];
  private running: Promise<void> | undefined;
  private scheduled: (() => void) | undefined;

  constructor(private readonly deps: BatcherDeps<W>) {}

  push(work: W): void {
    this.queue.push(work);
    if (this.running || this.scheduled) return;
    let cancelled = false;
    const start = (): void => {
      if (cancelled) return;
      this.scheduled = undefined;
      this.running = this.loop();
    };
    if (this.deps.windowMs > 0) {
      const timer = this.deps.clock.setTimeout(start, this.deps.windowMs);
      this.scheduled = () => {
        cancelled = true;
        timer.cancel();
      };
    } else {
      const immediate = setImmediate(start);
      this.scheduled = () => {
        cancelled = true;
        clearImmediate(immediate);
      };
    }
  }

  /** Remove and return everything still queued (used to fail work built on a batch that failed). */
  takeQueued(): W[] {
    return this.queue.splice(0);
  }

  /** Flush now and resolve once nothing is queued or being written. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.scheduled) {
        this.scheduled();
        this.scheduled = undefined;
        this.running = this.loop();
      }
      if (!this.running) return;
      await this.running;
    }
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.deps.flush(this.queue.splice(0));
    } finally {
      this.running = undefined;
    }
  }
}
