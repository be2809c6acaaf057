/**
 * `npm run demo` (ARCHITECTURE §9), as a newcomer runs it but on free ports and a temporary data folder:
 * the first run seeds the cloud, brings every simulated receiver online and sees a broadcast confirmed by
 * all of them; the second run reuses the data (nothing seeded twice, the same receivers) and confirms a
 * new broadcast. DEMO_EXIT_AFTER_CONFIRM=1 makes each run end on its own with exit 0.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, spawnNode } from "./support/processes.js";

let dir = "";

async function runDemo(): Promise<{ code: number | null; out: string; err: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LOA_") && !k.startsWith("DEMO_") && k !== "MQTT_URL"));
  const run = spawnNode(["scripts/demo.mjs"], {
    ...env, LOA_DATA_DIR: dir, LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "off",
    DEMO_RECEIVERS: "3", DEMO_LEAD_S: "15", DEMO_EXIT_AFTER_CONFIRM: "1",
  });
  const killer = setTimeout(() => run.proc.kill("SIGKILL"), 170_000);
  const code = await run.exited;
  clearTimeout(killer);
  return { code, out: run.stdout(), err: run.stderr() };
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "loa-demo-e2e-"));
}, 320_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  let first = "";

  it("first run: seeds, brings 3 receivers online and sees the broadcast confirmed by all 3, then exits 0", async () => {
    const r = await runDemo();
    first = r.out;
    expect(r.err, r.out).toBe("");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("Tỉnh Lào Cai › Huyện Bảo Thắng › 2 communes › 5 villages");
    expect(r.out).toMatch(/created 8 areas, 3 users, 2 bulletins/);
    expect(r.out).toMatch(/fleet: 3 simulated receivers \(0 reused, 3 provisioned\)/);
    expect(r.out).toMatch(/Panel: {2}http:\/\/localhost:\d+\//);
    expect(r.out).toMatch(/receivers online: 3\/3 \(in [\d.]+ s\)/);
    const skew = /✔ broadcast confirmed by 3\/3 receivers \(start skew (\d+) ms\)/.exec(r.out);
    expect(skew, r.out).not.toBeNull();
    expect(Number(skew?.[1])).toBeLessThanOrEqual(50);
    expect(r.out.trimEnd().endsWith("stopped.")).toBe(true);
  }, 180_000);

  it("keeps the logins it printed in demo.json, and they are the ones printed", async () => {
    const demo = JSON.parse(await readFile(join(dir, "demo.json"), "utf8")) as { adminPassword: string; users: Record<string, { password: string }> };
    expect(Object.keys(demo.users).sort()).toEqual(["canbo.phongnien", "canbo.xuanquang", "vanhanh"]);
    expect(first).toMatch(new RegExp(`admin +${demo.adminPassword} +admin, Tỉnh Lào Cai`));
    expect(first).toMatch(new RegExp(`canbo\\.phongnien +${demo.users["canbo.phongnien"]?.password ?? "?"} +staff, Xã Phong Niên`));
  });

  it("second run: reuses the data and the receivers, seeds nothing, confirms a new broadcast", async () => {
    const r = await runDemo();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/data: .* \(reused, first seeded/);
    expect(r.out).toContain("already there, nothing added");
    expect(r.out).toMatch(/every day at 06:00 \(kept\)/);
    expect(r.out).toMatch(/fleet: 3 simulated receivers \(3 reused, 0 provisioned\)/);
    expect(r.out).toMatch(/✔ broadcast confirmed by 3\/3 receivers/);
  }, 180_000);
});
