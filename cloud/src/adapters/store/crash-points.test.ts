/**
 * Power loss at every step (ARCHITECTURE §8: "a crash at any moment loses nothing acknowledged and corrupts
 * nothing"). MemoryFileSystem drops whatever was not fsynced; we cut the power at operation k of a workload,
 * for every k, then reopen and check that every acknowledged write is there and the store loads.
 */
import { describe, expect, it } from "vitest";
import type { Store } from "../../ports/store.js";
import { MemoryFileSystem } from "./memory-file-system.js";
import { openStore } from "./open-store.js";
import { RecordingFileSystem } from "./recording-file-system.js";
import { sampleDevice } from "./store-test-kit.fixture.js";

const DATA = "/srv/loa/data";
const TS = [Date.UTC(2026, 9, 31, 23), Date.UTC(2026, 10, 1, 1), Date.UTC(2026, 11, 2)];

interface Acks {
  devices: Set<string>;
  seqs: Set<number>;
}

/** Rounds of concurrent catalogue updates and journal appends, recording what was acknowledged. */
async function workload(store: Store, acks: Acks): Promise<void> {
  let seq = 0;
  for (let round = 0; round < 3; round++) {
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const n = round * 10 + i;
      work.push(store.catalog.update((d) => d.devices.push(sampleDevice(n))).then(() => acks.devices.add(`dev-${n}`)));
      const s = ++seq;
      work.push(store.journal.append({ kind: "event", ts: TS[s % TS.length] ?? 0, seq: s }).then(() => acks.seqs.add(s)));
    }
    await Promise.allSettled(work);
  }
}

async function check(mem: MemoryFileSystem, acks: Acks): Promise<void> {
  const store = await openStore({ dataDir: DATA, fs: mem });
  const ids = new Set(store.catalog.data().devices.map((d) => d.id));
  for (const id of acks.devices) expect(ids.has(id), `acknowledged ${id} lost`).toBe(true);
  const seen = new Map<unknown, number>();
  await store.journal.replay((e) => seen.set(e.seq, (seen.get(e.seq) ?? 0) + 1));
  for (const s of acks.seqs) expect(seen.get(s), `acknowledged journal seq ${s}`).toBe(1);
  // Recovery must leave the store writable.
  await store.catalog.update((d) => d.devices.push(sampleDevice(999)));
  await store.journal.append({ kind: "audit", ts: TS[0] ?? 0, seq: 999 });
  await store.close();
}

describe("store: power loss at every file operation", () => {
  it("loses nothing acknowledged and always reopens", async () => {
    let crashes = 0;
    let totalAcked = 0;
    for (let k = 0; ; k++) {
      const mem = new MemoryFileSystem({ chunkSize: 50 });
      const rec = new RecordingFileSystem(mem);
      const store = await openStore({ dataDir: DATA, fs: rec });
      const cut = rec.ops.length + k;
      let dead = false;
      rec.fault = (_r, index) => {
        if (index === cut) {
          mem.crash();
          dead = true;
        }
        return dead ? new Error("power lost") : undefined;
      };
      const acks: Acks = { devices: new Set(), seqs: new Set() };
      await workload(store, acks);
      if (!dead) break; // the workload finished before op k: every cut point was covered
      crashes++;
      totalAcked += acks.devices.size + acks.seqs.size;
      await check(mem, acks);
    }
    expect(crashes).toBeGreaterThan(40);
    expect(totalAcked).toBeGreaterThan(100); // crashes happened with acknowledged work on disk, not only at the start
  });
});
