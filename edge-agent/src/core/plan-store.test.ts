import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NodeDurableFs } from "../adapters/fs/node-fs.js";
import { PlanStore, PlanStoreError, RESTART_DURING_PLAY, playEventsOf } from "./plan-store.js";
import type { Plan, PlanItem, PlanStoreDeps } from "./plan-store.js";

const log = pino({ level: "silent" });
let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-plan-"));
  clock = new FakeClock(Date.UTC(2026, 0, 1, 6));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openStore(opts: Partial<PlanStoreDeps> = {}) {
  const store = new PlanStore({ fs: new NodeDurableFs(), dir, clock, log, ...opts });
  const opened = await store.open();
  return { store, opened };
}

const item = (playId: string, at = "2026-01-01T07:00:00.000Z", sha = "a"): PlanItem => ({
  playId,
  at,
  priority: "normal",
  media: { sha256: sha.repeat(64), bytes: 1000, chunkSize: 65536, durationMs: 5000, codec: "opus" },
});
const plan = (version: number, items: PlanItem[]): Plan => ({ version, serverTime: "2026-01-01T06:00:00.000Z", items });

describe("PlanStore plan (ARCHITECTURE §3 Plan, not push-at-time)", () => {
  it("applies a newer plan, persists it and reloads it after a reboot", async () => {
    const { store, opened } = await openStore();
    expect(opened.plan).toBeNull();
    const p = plan(3, [item("b1:1"), item("b1:2")]);
    expect(await store.apply(p)).toEqual({ applied: true, version: 3, added: ["b1:1", "b1:2"], removed: [], changed: [] });
    expect(JSON.parse(await readFile(join(dir, "plan.json"), "utf8"))).toEqual(p);
    const again = await openStore();
    expect(again.opened.plan).toEqual(p);
    expect(again.store.current()).toEqual(p);
  });

  it("ignores a plan whose version is not newer, and keeps the stored one", async () => {
    const { store } = await openStore();
    await store.apply(plan(5, [item("b1:1")]));
    expect(await store.apply(plan(4, [item("old")]))).toEqual({ applied: false, reason: "older_version", currentVersion: 5 });
    expect(await store.apply(plan(5, [item("same")]))).toEqual({ applied: false, reason: "same_version", currentVersion: 5 });
    expect(store.current()?.items.map((i) => i.playId)).toEqual(["b1:1"]);
    expect((await openStore()).opened.plan?.version).toBe(5);
  });

  it("returns the diff: added, removed, and changed (time, media, volume, priority)", async () => {
    const { store } = await openStore();
    await store.apply(plan(1, [item("keep"), item("move"), item("swap"), item("gone"), item("loud")]));
    const next = plan(2, [
      item("keep"),
      item("move", "2026-01-01T08:00:00.000Z"),
      item("swap", undefined, "b"),
      { ...item("loud"), volume: 80 },
      item("new"),
    ]);
    expect(await store.apply(next)).toEqual({ applied: true, version: 2, added: ["new"], removed: ["gone"], changed: ["move", "swap", "loud"] });
  });

  it("rejects a malformed plan", async () => {
    const { store } = await openStore();
    const dup = store.apply(plan(1, [item("x"), item("x")]));
    await expect(dup).rejects.toBeInstanceOf(PlanStoreError);
    await expect(dup).rejects.toMatchObject({ code: "plan_invalid" });
    await expect(store.apply({ version: -1, serverTime: "", items: [] })).rejects.toMatchObject({ code: "plan_invalid" });
    await expect(store.apply(plan(1, [{ ...item("y"), at: "soon" }]))).rejects.toMatchObject({ code: "plan_invalid" });
    expect(store.current()).toBeNull();
  });

  it("starts without a plan when plan.json is unreadable, and takes the next one", async () => {
    await writeFile(join(dir, "plan.json"), '{"version":3,"items":[{"pla');
    const { store, opened } = await openStore();
    expect(opened.plan).toBeNull();
    expect((await store.apply(plan(1, [item("a")]))).applied).toBe(true);
  });
});

describe("PlanStore play states", () => {
  it("a play started before a crash is reported failed (agent_restarted_during_play) and never played again", async () => {
    const a = (await openStore()).store;
    await a.apply(plan(1, [item("b1:1")]));
    expect(a.mayStart("b1:1")).toBe(true);
    const started = await a.markStarted("b1:1", { at: "2026-01-01T07:00:00.000Z" });
    expect(started).toMatchObject({ status: "started", startedAt: "2026-01-01T06:00:00.000Z", reported: null });
    // crash: no finish
    const { store, opened } = await openStore();
    expect(opened.recovered).toEqual([expect.objectContaining({ playId: "b1:1", status: "failed", reason: RESTART_DURING_PLAY })]);
    expect(store.mayStart("b1:1")).toBe(false);
    expect(await store.markStarted("b1:1", { at: "2026-01-01T07:00:00.000Z" })).toBeNull();
    const [rec] = store.unreported();
    if (!rec) throw new Error("expected an unreported play");
    expect(playEventsOf(rec)).toEqual([
      { type: "play_started", playId: "b1:1", at: "2026-01-01T07:00:00.000Z", startedAt: "2026-01-01T06:00:00.000Z" },
      { type: "play_failed", playId: "b1:1", reason: RESTART_DURING_PLAY },
    ]);
    await store.markReported("b1:1", "failed");
    const third = await openStore();
    expect(third.opened.recovered).toEqual([]);
    expect(third.store.unreported()).toEqual([]);
    expect(third.store.play("b1:1")?.status).toBe("failed");
  });

  it("a finished and reported play is neither re-played nor re-reported after a restart", async () => {
    const a = (await openStore()).store;
    await a.markStarted("p", { at: "2026-01-01T07:00:00.000Z" });
    await a.markReported("p", "started");
    await clock.advance(5000);
    const fin = await a.markFinished("p", { playedMs: 5000 });
    expect(fin).toMatchObject({ status: "finished", playedMs: 5000, reported: "started", endedAt: "2026-01-01T06:00:05.000Z" });
    if (!fin) throw new Error("expected the finish to be recorded");
    expect(playEventsOf(fin)).toEqual([{ type: "play_finished", playId: "p", playedMs: 5000 }]);
    await a.markReported("p", "finished");
    const { store, opened } = await openStore();
    expect(opened.recovered).toEqual([]);
    expect(store.unreported()).toEqual([]);
    expect(store.mayStart("p")).toBe(false);
    expect(await store.markStarted("p", { at: "2026-01-01T07:00:00.000Z" })).toBeNull();
    expect(await store.markFinished("p", { playedMs: 1 })).toBeNull();
  });

  it("a final state whose event did not reach the outbox before a crash is reported after it", async () => {
    const a = (await openStore()).store;
    await a.markStarted("p", { at: "2026-01-01T07:00:00.000Z" });
    await a.markReported("p", "started");
    await a.markFinished("p", { playedMs: 4000 });
    // crash before the outbox append / markReported
    const { store } = await openStore();
    expect(store.unreported().map((r) => [r.playId, r.status])).toEqual([["p", "finished"]]);
    expect(store.unreported().flatMap(playEventsOf)).toEqual([{ type: "play_finished", playId: "p", playedMs: 4000 }]);
  });

  it("allows only the documented moves", async () => {
    const { store } = await openStore();
    expect(await store.markFinished("never", { playedMs: 1 })).toBeNull();
    expect(await store.markInterrupted("never", { playedMs: 1 })).toBeNull();
    expect(await store.markMissed("m", { reason: "media_missing" })).toMatchObject({ status: "missed" });
    expect(await store.markStarted("m", { at: "2026-01-01T07:00:00.000Z" })).toBeNull();
    expect(await store.markFailed("f", { reason: "amp_unreachable" })).toMatchObject({ status: "failed", reason: "amp_unreachable" });
    await store.markStarted("i", { at: "2026-01-01T07:00:00.000Z" });
    expect(await store.markInterrupted("i", { playedMs: 1200, byPlayId: "e:1" })).toMatchObject({ status: "interrupted" });
    expect(await store.markFinished("i", { playedMs: 5000 })).toBeNull();
    expect(store.records().map((r) => [r.playId, r.status])).toEqual([
      ["m", "missed"],
      ["f", "failed"],
      ["i", "interrupted"],
    ]);
    const events = store.unreported().flatMap(playEventsOf);
    expect(events).toEqual([
      { type: "play_missed", playId: "m", reason: "media_missing" },
      { type: "play_failed", playId: "f", reason: "amp_unreachable" },
      { type: "play_started", playId: "i", at: "2026-01-01T07:00:00.000Z", startedAt: "2026-01-01T06:00:00.000Z" },
      { type: "play_interrupted", playId: "i", byPlayId: "e:1", playedMs: 1200 },
    ]);
  });

  it("skips a torn last line of plays.jsonl", async () => {
    const a = (await openStore()).store;
    await a.markMissed("m");
    await appendFile(join(dir, "plays.jsonl"), '{"playId":"x","status":"fini');
    const { store } = await openStore();
    expect(store.records().map((r) => r.playId)).toEqual(["m"]);
    await store.markMissed("n");
    expect((await openStore()).store.records().map((r) => r.playId)).toEqual(["m", "n"]);
  });

  it("forgets old reported final plays that left the plan; keeps unreported ones and those still planned", async () => {
    const a = (await openStore({ retainMs: 3600_000 })).store;
    await a.apply(plan(1, [item("planned")]));
    for (const id of ["planned", "old", "unreported"]) await a.markMissed(id);
    await a.markReported("planned", "missed");
    await a.markReported("old", "missed");
    await clock.advance(2 * 3600_000);
    await a.markMissed("recent");
    await a.markReported("recent", "missed");
    const { store } = await openStore({ retainMs: 3600_000 });
    expect(store.records().map((r) => r.playId).sort()).toEqual(["planned", "recent", "unreported"]);
    expect(store.mayStart("old")).toBe(true); // forgotten: only safe because it is long past and out of the plan
  });

  it("compacts the journal as it grows", async () => {
    const { store } = await openStore();
    for (let i = 0; i < 150; i++) {
      await store.markMissed("same");
      await store.markReported("same", "missed");
      await store.markMissed(`p${i}`);
      await store.markReported(`p${i}`, "missed");
    }
    const lines = (await readFile(join(dir, "plays.jsonl"), "utf8")).trim().split("\n").length;
    expect(lines).toBeLessThanOrEqual(2 * 151 + 201);
    expect((await openStore()).store.records()).toHaveLength(151);
  });
});
