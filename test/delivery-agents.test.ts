/**
 * Delivery with real receivers (ARCHITECTURE §2 Play, §3 "Plan, not push-at-time"; docs/receiver.md "What it
 * does offline"; cloud/src/delivery/README.md "Play statuses"): a real cloud in-process and three real edge
 * agents (timing sink, no audio device) behind the fleet's network switch, on the real clock with `at` a
 * few seconds ahead.
 * - A receiver offline while the broadcast is created (one with its link cut, one powered off) comes back
 *   before T, gets plan and media, starts at T, and its play ends `finished`.
 * - A receiver powered off across T reports `missed` when it boots after T + duration, never plays late,
 *   and the cloud keeps one record per (broadcast, device); one whose link alone is cut plays from its plan.
 * - A broadcast cancelled before T leaves every agent's stored plan, and nothing plays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Play } from "@loa/shared";
import { ANY } from "../firmware-sim/src/fleet/rest-client.js";
import type { RunningFleet } from "../firmware-sim/src/fleet/run-fleet.js";
import {
  agentHas, agents, broadcast, idsOf, onlineInCloud, playsOf, playsSettled, startAgentCloud, toneBulletin, type AgentCloud,
} from "./support/agent-cloud.js";
import { expectOnTime, secondAfter } from "./support/on-time.js";
import { sleep, until } from "./support/wait.js";

let ac: AgentCloud;
let fleet: RunningFleet;
let ids: string[] = [];
let village = "";

beforeAll(async () => {
  ac = await startAgentCloud("delivery-agents", 1);
  village = ac.villages[0] ?? "";
  fleet = await agents(ac, "fleet", 3, village);
  ids = idsOf(fleet);
}, 60_000);

afterAll(async () => {
  await ac?.close();
});

/** Every receiver of the fleet running and online in the cloud (each test leaves them so, the next checks). */
async function allBack(): Promise<void> {
  await until("every receiver back online", () => {
    const views = fleet.fleet.list();
    return ids.every((id) => onlineInCloud(ac, id) && views.find((v) => v.deviceId === id)?.online === true) || undefined;
  }, 20_000);
}

const startsOf = (broadcastId: string): Map<string, number> => new Map(fleet.fleet.plays({ playId: broadcastId }).map((p) => [p.deviceId, p.startedAtMs]));

/**
 * `at`, moved on by whole seconds until the minute's plan roll (second 15, cloud/src/delivery/jobs.ts) does not
 * fall between the end of the play and 4 s after: a roll there would republish the plan without the past play
 * before the receiver is back, and only the cloud's sweep (5 min) would then settle it.
 */
function clearOfRoll(at: number, durationMs: number): number {
  const rollIn = (from: number, to: number): boolean => Math.floor((from - 15_000) / 60_000) !== Math.floor((to - 15_000) / 60_000);
  let t = at;
  while (rollIn(t + durationMs, t + durationMs + 4000)) t += 1000;
  return t;
}

function expectOnePerDevice(plays: readonly Play[], deviceIds: readonly string[]): void {
  expect(plays.map((p) => p.deviceId).sort()).toEqual([...deviceIds].sort());
}

describe("delivery to real edge agents", () => {
  it("a receiver offline when the broadcast is created (link cut / powered off) reconnects before T and plays at T", async () => {
    await allBack();
    const [cut, off, on] = ids as [string, string, string];
    fleet.fleet.offline(cut);
    await fleet.fleet.kill(off);
    await until("both offline in the cloud", () => (!onlineInCloud(ac, cut) && !onlineInCloud(ac, off)) || undefined, 10_000);
    const bulletin = await toneBulletin(ac.api, 2);
    const at = secondAfter(8000);
    const created = await broadcast(ac.api, bulletin.id, [village], { at });
    expect(created).toMatchObject({ targetDevices: 3, plannedPlays: 3 });
    const playId = `${created.id}:${at}`;
    await until("the online receiver's plan", () => agentHas(fleet, on, playId));
    expect(await agentHas(fleet, cut, playId)).toBe(false);
    expect(await agentHas(fleet, off, playId)).toBe(false);
    await sleep(1500);
    fleet.fleet.online(cut);
    await fleet.fleet.start(off);
    await until("the plan on both returning receivers", async () => (await agentHas(fleet, cut, playId)) && (await agentHas(fleet, off, playId)), 15_000);
    const gotPlanAt = Date.now();
    expect(gotPlanAt).toBeLessThan(at - 1000);
    // ... and the media: the cloud sees both `ready` (plan applied, media_ready) before T.
    await playsSettled(ac.api, created.id, [cut, off], (p) => p.status === "ready", at - Date.now());
    expect(Date.now()).toBeLessThan(at);

    const plays = await playsSettled(ac.api, created.id, ids, (p) => p.status === "finished", at - Date.now() + 15_000);
    expectOnePerDevice(plays, ids);
    const starts = startsOf(created.id);
    expect([...starts.keys()].sort()).toEqual([...ids].sort());
    // Printed before the checks, so a failure shows every receiver's start: first sample (sink) and reported.
    const skew = Object.fromEntries([...starts].map(([id, ms]) => [id, { sinkMs: ms - at, reportedMs: Date.parse(plays.find((p) => p.deviceId === id)?.startedAt ?? "") - at }]));
    console.log(JSON.stringify({ test: "delivery-agents.reconnect", replanLeadMs: at - gotPlanAt, startSkew: skew, cut, off }));
    for (const p of plays) {
      expect(p.playId).toBe(playId);
      expect(Math.abs((p.playedMs ?? 0) - bulletin.durationMs)).toBeLessThan(500);
    }
    expectOnTime(plays.map((p) => Date.parse(p.startedAt ?? "")), at);
    expectOnTime([...starts.values()], at);
  }, 45_000);

  it("a receiver powered off across T reports missed after T + duration, plays nothing late; a cut link alone still plays from the plan", async () => {
    await allBack();
    const [cut, on, off] = ids as [string, string, string];
    const bulletin = await toneBulletin(ac.api, 2, 440);
    const at = secondAfter(8000);
    const created = await broadcast(ac.api, bulletin.id, [village], { at });
    const playId = `${created.id}:${at}`;
    // Both hold plan and media before they go: the one powered off has the play in its stored plan.
    await playsSettled(ac.api, created.id, ids, (p) => p.status === "ready", at - Date.now() - 1000);
    await fleet.fleet.kill(off);
    fleet.fleet.offline(cut);
    await sleep(at + bulletin.durationMs + 1000 - Date.now());
    expect(await agentHas(fleet, off, playId)).toBe(true);
    fleet.fleet.online(cut);
    await fleet.fleet.start(off);

    const plays = await playsSettled(ac.api, created.id, ids, (p) => ["finished", "missed"].includes(p.status), 20_000);
    const byDevice = new Map(plays.map((p) => [p.deviceId, p]));
    expect(byDevice.get(off)).toMatchObject({ playId, status: "missed" });
    expect(byDevice.get(off)?.startedAt).toBeUndefined();
    expect(byDevice.get(cut)).toMatchObject({ playId, status: "finished" });
    expect(byDevice.get(on)).toMatchObject({ playId, status: "finished" });
    // The agent back after the end must not play it late; give it time to (wrongly) do so.
    await allBack();
    await sleep(1500);
    const starts = startsOf(created.id);
    const again = await playsOf(ac.api, created.id);
    console.log(JSON.stringify({ test: "delivery-agents.missed", statuses: Object.fromEntries(again.map((p) => [p.deviceId, p.status])), startSkewMs: Object.fromEntries([...starts].map(([id, ms]) => [id, ms - at])), reason: byDevice.get(off)?.reason }));
    expect(starts.has(off)).toBe(false);
    expect([...starts.keys()].sort()).toEqual([cut, on].sort());
    expectOnTime([...starts.values()], at);
    expectOnePerDevice(again, ids);
    expect(again.find((p) => p.deviceId === off)?.status).toBe("missed");
    const detail = (await ac.api.get(`/api/v1/broadcasts/${created.id}`, ANY)) as { broadcast: { summary: { plays: number; byStatus: Record<string, number> } } };
    expect(detail.broadcast.summary).toMatchObject({ plays: 3, byStatus: { finished: 2, missed: 1 } });
  }, 45_000);

  it("a receiver powered off before the broadcast was created and back after its end reports it missed from the retained plan", async () => {
    await allBack();
    const off = ids[1] ?? "";
    await fleet.fleet.kill(off);
    await until("offline in the cloud", () => !onlineInCloud(ac, off) || undefined, 10_000);
    const bulletin = await toneBulletin(ac.api, 2, 494);
    const at = clearOfRoll(secondAfter(8000), bulletin.durationMs);
    const created = await broadcast(ac.api, bulletin.id, [village], { at });
    await sleep(at + bulletin.durationMs + 1000 - Date.now());
    await fleet.fleet.start(off);
    const plays = await playsSettled(ac.api, created.id, ids, (p) => p.deviceId === off ? p.status === "missed" : p.status === "finished", 15_000);
    expectOnePerDevice(plays, ids);
    await sleep(1000);
    expect(startsOf(created.id).has(off)).toBe(false);
    expect(fleet.fleet.plays({ playId: created.id })).toHaveLength(2);
  }, 45_000);

  it("a broadcast cancelled before T leaves every agent's plan and plays nowhere", async () => {
    await allBack();
    const bulletin = await toneBulletin(ac.api, 2, 660);
    const at = secondAfter(8000);
    const created = await broadcast(ac.api, bulletin.id, [village], { at });
    const playId = `${created.id}:${at}`;
    await until("the plan on every agent", async () => (await Promise.all(ids.map((id) => agentHas(fleet, id, playId)))).every(Boolean));
    const patched = (await ac.api.request("PATCH", `/api/v1/broadcasts/${created.id}`, { json: { status: "cancelled" } }, ANY)) as { broadcast: { status: string } };
    expect(patched.broadcast.status).toBe("cancelled");
    await until("the play gone from every agent's stored plan", async () => (await Promise.all(ids.map((id) => agentHas(fleet, id, playId)))).every((has) => !has), 5_000);
    expect(Date.now()).toBeLessThan(at);

    await sleep(at + bulletin.durationMs + 1000 - Date.now());
    expect(fleet.fleet.plays({ playId: created.id })).toEqual([]);
    const detail = (await ac.api.get(`/api/v1/broadcasts/${created.id}`, ANY)) as { broadcast: { status: string; nextAt: string | null; summary: { byStatus: Record<string, number> } } };
    expect(detail.broadcast).toMatchObject({ status: "cancelled", nextAt: null });
    const left = await playsOf(ac.api, created.id);
    expect(left.filter((p) => p.status === "started" || p.status === "finished")).toEqual([]);
    expect(detail.broadcast.summary.byStatus).toMatchObject({ started: 0, finished: 0 });
    console.log(JSON.stringify({ test: "delivery-agents.cancel", playsLeft: left.map((p) => ({ deviceId: p.deviceId, status: p.status })) }));
  }, 45_000);
});
