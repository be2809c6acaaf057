/** openStore wiring, and the journal at scale (ARCHITECTURE §8). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, open, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "./open-store.js";
import { sampleDevice } from "./store-test-kit.fixture.js";

describe("openStore on the real disk", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "loa-open-store-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates the data, journal and telemetry directories and writes catalog.json and monthly journal files", async () => {
    const dataDir = join(root, "a", "data");
    const store = await openStore({ dataDir });
    expect((await readdir(dataDir)).sort()).toEqual(["journal", "telemetry"]);
    await store.catalog.update((d) => d.devices.push(sampleDevice(1)));
    await store.journal.append({ kind: "telemetry", ts: Date.UTC(2026, 10, 3), deviceId: "dev-1", tempC: 41.5 });
    await store.close();
    expect((await readdir(dataDir)).sort()).toEqual(["catalog.json", "journal", "telemetry"]);
    expect(await readdir(join(dataDir, "journal"))).toEqual(["2026-11.jsonl"]);
    const catalog = JSON.parse(await readFile(join(dataDir, "catalog.json"), "utf8")) as { devices: { id: string }[] };
    expect(catalog.devices[0]?.id).toBe("dev-1");
  });

  it("replays a million journal entries, and catalogue writes do not depend on the journal's size", { timeout: 60_000 }, async () => {
    const dataDir = join(root, "data");
    const store = await openStore({ dataDir });
    const emptyMs = await timeUpdates(store.catalog, 20);
    await store.close();
    await writeJournalFile(join(dataDir, "journal", "2026-10.jsonl"), 0, 500_000, Date.UTC(2026, 9, 1));
    await writeJournalFile(join(dataDir, "journal", "2026-11.jsonl"), 500_000, 1_000_000, Date.UTC(2026, 10, 1));

    const reopened = await openStore({ dataDir });
    let count = 0;
    let last = -1;
    let ordered = true;
    const t0 = performance.now();
    const stats = await reopened.journal.replay((e) => {
      count++;
      if ((e.seq as number) !== last + 1) ordered = false;
      last = e.seq as number;
    });
    const replayMs = performance.now() - t0;
    expect(stats).toEqual({ entries: 1_000_000, skippedLines: 0, files: 2 });
    expect(count).toBe(1_000_000);
    expect(ordered).toBe(true);
    expect(replayMs).toBeLessThan(30_000);
    const fullMs = await timeUpdates(reopened.catalog, 20);
    await reopened.close();
    // Generous bound (other processes share the disk): it must not grow with a million entries, which would
    // cost seconds per update.
    expect(fullMs).toBeLessThan(Math.max(emptyMs * 10, 2_000));
    console.info(`replay 1M: ${replayMs.toFixed(0)} ms; 20 catalogue updates: empty journal ${emptyMs.toFixed(1)} ms, 1M entries ${fullMs.toFixed(1)} ms`);
  });
});

async function timeUpdates(catalog: { update: (f: (d: { meta: Record<string, unknown> }) => void) => Promise<void> }, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await catalog.update((d) => void (d.meta.counter = i));
  return performance.now() - t0;
}

async function writeJournalFile(path: string, from: number, to: number, ts: number): Promise<void> {
  const h = await open(path, "w");
  try {
    const step = 50_000;
    for (let start = from; start < to; start += step) {
      let chunk = "";
      for (let seq = start; seq < Math.min(to, start + step); seq++) {
        chunk += `{"kind":"event","ts":${ts + seq},"deviceId":"dev-${seq % 500}","seq":${seq},"type":"play_finished","playId":"b1:${ts}","playedMs":30000}\n`;
      }
      await h.write(chunk);
    }
  } finally {
    await h.close();
  }
}
