/**
 * A counting semaphore: at most `size` ingests run ffmpeg at once. loudnorm works at 192 kHz and is
 * CPU-bound, so a burst of uploads queues instead of starving the broker and the API on a small server.
 */
export class Slots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError("Slots: size must be an integer >= 1");
  }

  /** Jobs running now and waiting for a slot. */
  get load(): { running: number; queued: number } {
    return { running: this.busy, queued: this.waiting.length };
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next job, so `busy` never drops and lets a newcomer jump the queue.
      if (next) next();
      else this.busy--;
    }
  }
}
