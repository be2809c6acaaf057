/** HostMetrics in memory: tests set `next` (or parts of it) and read what was asked in `dirs`. */
import type { HostMetrics, HostSample } from "../ports/host-metrics.js";

export class FakeHostMetrics implements HostMetrics {
  next: HostSample = { cpuTempC: 48.3, load1: 0.21, memFreeMb: 612, memTotalMb: 1024, diskFreeMb: 11_840 };
  readonly dirs: string[] = [];
  /** When set, sample() rejects with it (a broken /proc, say). */
  failWith: Error | undefined;

  sample(dir: string): Promise<HostSample> {
    this.dirs.push(dir);
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({ ...this.next });
  }
}
