/**
 * Host metrics from Linux and Node (ARCHITECTURE §3 telemetry): /sys/class/thermal for the SoC temperature,
 * /proc/meminfo's MemAvailable (what a new process can get, unlike MemFree which ignores reclaimable cache),
 * os.loadavg, and fs.statfs on the data directory.
 */
import { readFile, statfs } from "node:fs/promises";
import { loadavg, freemem, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import type { HostMetrics, HostSample } from "../../ports/host-metrics.js";

export interface NodeHostMetricsDeps {
  /** Default /sys/class/thermal/thermal_zone0/temp (millidegrees Celsius). */
  thermalPath?: string;
  /** Default /proc/meminfo. */
  meminfoPath?: string;
}

const MB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

export class NodeHostMetrics implements HostMetrics {
  private readonly thermalPath: string;
  private readonly meminfoPath: string;

  constructor(deps: NodeHostMetricsDeps = {}) {
    this.thermalPath = deps.thermalPath ?? "/sys/class/thermal/thermal_zone0/temp";
    this.meminfoPath = deps.meminfoPath ?? "/proc/meminfo";
  }

  async sample(dir: string): Promise<HostSample> {
    const [cpuTempC, memFree, diskFree] = await Promise.all([this.cpuTemp(), this.memAvailable(), diskFreeBytes(dir)]);
    return {
      ...(cpuTempC !== undefined ? { cpuTempC } : {}),
      load1: round1(Math.max(0, loadavg()[0] ?? 0)),
      memFreeMb: round1(memFree / MB),
      memTotalMb: round1(totalmem() / MB),
      diskFreeMb: round1(diskFree / MB),
    };
  }

  private async cpuTemp(): Promise<number | undefined> {
    try {
      const milli = Number((await readFile(this.thermalPath, "utf8")).trim());
      const c = milli / 1000;
      // Some boards report a bogus -273 or 0x7fffffff when the sensor is absent or broken.
      return Number.isFinite(c) && c > -100 && c < 300 ? round1(c) : undefined;
    } catch {
      return undefined;
    }
  }

  private async memAvailable(): Promise<number> {
    try {
      const m = /^MemAvailable:\s+(\d+)\s*kB/m.exec(await readFile(this.meminfoPath, "utf8"));
      if (m?.[1]) return Number(m[1]) * 1024;
    } catch {
      // not Linux, or /proc not mounted
    }
    return freemem();
  }
}

/** Free bytes for unprivileged writers where `dir` is (or would be): walks up to an existing directory. */
async function diskFreeBytes(dir: string): Promise<number> {
  let p = resolve(dir);
  for (;;) {
    try {
      const s = await statfs(p);
      return s.bavail * s.bsize;
    } catch {
      const parent = dirname(p);
      if (parent === p) return 0;
      p = parent;
    }
  }
}
