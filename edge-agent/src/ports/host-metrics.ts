/**
 * Health of the receiver board for telemetry (ARCHITECTURE §3 telemetry): SoC temperature, load, memory and
 * free disk. The real adapter is `NodeHostMetrics` (adapters/system); tests use `FakeHostMetrics`.
 */
export interface HostSample {
  /** SoC temperature in °C; absent where the board has no sensor. */
  cpuTempC?: number;
  /** 1-minute load average. */
  load1: number;
  /** Memory available to new processes, MB (MiB). */
  memFreeMb: number;
  memTotalMb: number;
  /** Space an unprivileged writer may still use on the filesystem holding the directory, MB (MiB). */
  diskFreeMb: number;
}

export interface HostMetrics {
  /** Never rejects for a missing `dir`: it measures the nearest existing parent. */
  sample(dir: string): Promise<HostSample>;
}
