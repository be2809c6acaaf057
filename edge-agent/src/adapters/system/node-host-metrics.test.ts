import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeHostMetrics } from "./node-host-metrics.js";
import { FakeHostMetrics } from "../../testing/fake-host-metrics.js";
import { hostMetricsContract } from "../../testing/host-metrics-contract.js";

hostMetricsContract("NodeHostMetrics", () => new NodeHostMetrics());
hostMetricsContract("FakeHostMetrics", () => new FakeHostMetrics());

describe("NodeHostMetrics", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("reads the SoC temperature in millidegrees and MemAvailable from meminfo", async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-host-"));
    await writeFile(join(dir, "temp"), "48312\n");
    await writeFile(join(dir, "meminfo"), "MemTotal:        1024000 kB\nMemFree:           10240 kB\nMemAvailable:     524288 kB\n");
    const s = await new NodeHostMetrics({ thermalPath: join(dir, "temp"), meminfoPath: join(dir, "meminfo") }).sample(dir);
    expect(s.cpuTempC).toBe(48.3);
    expect(s.memFreeMb).toBe(512);
  });

  it("leaves the temperature out where there is no sensor or it reads nonsense", async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-host-"));
    expect((await new NodeHostMetrics({ thermalPath: join(dir, "missing") }).sample(dir)).cpuTempC).toBeUndefined();
    await writeFile(join(dir, "temp"), "2147483647\n");
    expect((await new NodeHostMetrics({ thermalPath: join(dir, "temp") }).sample(dir)).cpuTempC).toBeUndefined();
    await writeFile(join(dir, "temp"), "garbage");
    expect((await new NodeHostMetrics({ thermalPath: join(dir, "temp") }).sample(dir)).cpuTempC).toBeUndefined();
  });

  it("falls back to os.freemem without /proc/meminfo", async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-host-"));
    const s = await new NodeHostMetrics({ meminfoPath: join(dir, "none") }).sample(dir);
    expect(s.memFreeMb).toBeGreaterThan(0);
  });
});
