/** The HostMetrics contract, run against NodeHostMetrics and FakeHostMetrics (STYLE: one suite per port). */
import { describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TelemetryPayload } from "@loa/shared";
import type { HostMetrics } from "../ports/host-metrics.js";

export function hostMetricsContract(name: string, make: () => HostMetrics): void {
  describe(`HostMetrics contract: ${name}`, () => {
    it("gives values the telemetry schema accepts", async () => {
      const s = await make().sample(tmpdir());
      expect(s.memFreeMb).toBeLessThanOrEqual(s.memTotalMb);
      expect(s.memTotalMb).toBeGreaterThan(0);
      expect(s.diskFreeMb).toBeGreaterThan(0);
      if (s.cpuTempC !== undefined) expect(s.cpuTempC).toBeGreaterThan(-100);
      const partial = TelemetryPayload.pick({ cpuTempC: true, load1: true, memFreeMb: true, memTotalMb: true, diskFreeMb: true });
      expect(partial.safeParse(s).success).toBe(true);
    });

    it("never rejects for a data directory that does not exist yet", async () => {
      const s = await make().sample(join(tmpdir(), "loa-no-such-dir", "deeper"));
      expect(s.diskFreeMb).toBeGreaterThan(0);
    });
  });
}
