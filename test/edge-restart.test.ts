/**
 * The receiver process across restarts (ARCHITECTURE §3 "Plan, not push-at-time"): a reboot without network
 * still plays the stored plan on time; plays whose time passed while it was off are reported play_missed;
 * the reboot command exits with 75. `node edge-agent/dist/main.js` as a child, real aedes, cloud double.
 */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MediaRef, PlanPayload } from "@loa/shared";
import { wavFileNameOf } from "../edge-agent/src/adapters/audio/index.js";
import type { TestBroker } from "../edge-agent/src/adapters/mqtt/aedes-broker.fixture.js";
import type { EdgeChild } from "./fixtures/edge-child.js";
import { waitUntil, type FakeCloud } from "./fixtures/edge-cloud.js";
import { makeBulletin } from "./fixtures/edge-harness.js";
import { EdgeProcessRig, planOf } from "./fixtures/edge-process.js";
import { ensureBuilt } from "./support/processes.js";

const DEVICE = "dev_edge_restart";
const TOKEN = "tok-edge-restart";

let dir = "";
let broker: TestBroker;
let cloud: FakeCloud;
let media: MediaRef;
let rig: EdgeProcessRig;

beforeAll(() => ensureBuilt(), 320_000);

beforeEach(async () => {
  rig = await EdgeProcessRig.start({ deviceId: DEVICE, token: TOKEN, tmpPrefix: "loa-edge-restart-" });
  ({ dir, broker, cloud } = rig);
  await mkdir(join(dir, "src"));
  media = cloud.addMedia(await makeBulletin(join(dir, "src"), "m", 600, 1_000), 1_000);
});

afterEach(() => rig.close());

const startChild = (): EdgeChild => rig.startChild();

const planWith = (items: { playId: string; at: number }[]): PlanPayload => planOf(1, items.map((i) => ({ ...i, media })));

/** Start a child, give it the plan, wait until its media is cached and reported, then stop it cleanly. */
async function primeAndStop(plan: PlanPayload): Promise<void> {
  const first = startChild();
  await cloud.publishPlan(plan);
  await waitUntil("media ready and acked", () => cloud.events("media_ready").length === 1 && cloud.batches.length > 0, 15_000);
  await first.waitForLog((l) => l.msg === "media ready", "media ready");
  expect(await first.stop()).toEqual({ code: 0, signal: null });
}

describe("receiver process restarts", () => {
  it("a reboot without network still plays the stored plan on time; the report follows once the broker is back", { timeout: 60_000 }, async () => {
    const at = Math.ceil((Date.now() + 7_000) / 100) * 100;
    const playId = `bc_m:${at}`;
    await primeAndStop(planWith([{ playId, at }]));
    await broker.takeDeviceDown();
    const second = startChild();
    const started = await second.waitForLog((l) => l.msg === "play started", "play started while offline", 15_000);
    expect(cloud.status.filter((s) => s.online)).toHaveLength(1); // never connected in this run yet
    expect(Number(started.lateMs)).toBeLessThanOrEqual(20);
    await second.waitForLog((l) => l.msg === "play finished", "play finished", 5_000);
    expect((await stat(join(dir, "capture", wavFileNameOf(playId)))).size).toBeGreaterThan(90_000);

    await broker.bringDeviceUp();
    await waitUntil("play reported after reconnect", () => cloud.eventsOf(playId).some((e) => e.type === "play_finished"), 15_000);
    const s = cloud.eventsOf(playId).find((e) => e.type === "play_started");
    const lateMs = s?.type === "play_started" ? Date.parse(s.startedAt) - at : NaN;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThanOrEqual(20);
    expect(cloud.seqConflicts).toEqual([]);
  });

  it("plays whose time passed while the receiver was off are reported play_missed, once", { timeout: 60_000 }, async () => {
    const at = Date.now() + 6_000;
    const past = `bc_m:${Math.round(at)}`;
    const later = `bc_m:${Math.round(at) + 3_600_000}`;
    await primeAndStop(planWith([{ playId: past, at }, { playId: later, at: at + 3_600_000 }]));
    await new Promise((r) => setTimeout(r, at + 1_000 + 500 - Date.now()));
    const second = startChild();
    await waitUntil("missed reported", () => cloud.eventsOf(past).some((e) => e.type === "play_missed"), 15_000);
    expect(cloud.eventsOf(past).map((e) => e.type)).toEqual(["play_missed"]);
    expect(cloud.eventsOf(later)).toEqual([]);
    expect(await second.stop()).toEqual({ code: 0, signal: null });

    const third = startChild();
    await third.waitForLog((l) => l.msg === "agent started", "agent started");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(cloud.eventsOf(past).filter((e) => e.type === "play_missed")).toHaveLength(1);
    expect(await third.stop()).toEqual({ code: 0, signal: null });
  });

  it("the reboot command is answered, then the process exits with 75 after a safe stop", { timeout: 30_000 }, async () => {
    const child = startChild();
    await waitUntil("online", () => cloud.status.some((s) => s.online), 10_000);
    await cloud.sendCmd({ cmdId: "c_reboot", type: "reboot", args: {}, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await child.exited).toEqual({ code: 75, signal: null });
    await waitUntil("answer", () => cloud.cmdRes.some((r) => r.cmdId === "c_reboot"), 3_000);
    expect(cloud.cmdRes.find((r) => r.cmdId === "c_reboot")).toMatchObject({ ok: true, result: { exitCode: 75 } });
    await waitUntil("offline status", () => cloud.status[cloud.status.length - 1]?.online === false, 3_000);
    expect(child.has("agent stopped")).toBe(true);
  });
});
