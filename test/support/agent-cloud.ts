/**
 * A real cloud in-process (startCloud: store, embedded broker, delivery, HTTP) with an admin API token and a
 * commune of villages, and fleets of real edge agents (firmware-sim `startFleet`: Agent + MqttJsLink + plan
 * store + media cache + player, TimingSink and SilentDecoder, emulated amplifiers) for the tests with real
 * receivers (ARCHITECTURE §2, §3): the delivery tests and fleet-e2e. Everything on 127.0.0.1, port 0, in temp
 * dirs; `close()` stops the fleets started with `agents`, then the cloud, then removes them.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningCloud, StartCloudOptions } from "@loa/cloud";
import type { Play, PlanPayload, Priority } from "@loa/shared";
import { toneWav } from "../../firmware-sim/src/demo/tone-wav.js";
import { ANY, RestClient } from "../../firmware-sim/src/fleet/rest-client.js";
import { startFleet, type RunningFleet } from "../../firmware-sim/src/fleet/run-fleet.js";
import { playsOf } from "../../firmware-sim/src/demo/watch.js";
import { adminApi, createArea, ownAreaId } from "./admin-api.js";
import { startCloudInProcess } from "./cloud-process.js";
import { testLog } from "./log.js";
import { until } from "./wait.js";

export interface AgentCloud {
  dir: string;
  cloud: RunningCloud;
  api: RestClient;
  token: string;
  /** One commune; its villages (one per requested name). */
  commune: string;
  villages: string[];
  /** Fleets started with `agents`, stopped by `close`. */
  fleets: RunningFleet[];
  close(): Promise<void>;
}

/** The cloud in-process (startCloudInProcess, its own temp data dir); `dir` holds the fleets' state and data. */
export async function startAgentCloud(name: string, villageCount: number, opts: Pick<StartCloudOptions, "delivery"> = {}): Promise<AgentCloud> {
  const dir = await mkdtemp(join(tmpdir(), `loa-${name}-`));
  const inProcess = await startCloudInProcess({}, opts).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const { cloud } = inProcess;
  const fleets: RunningFleet[] = [];
  const close = async (): Promise<void> => {
    for (const f of fleets) await f.stop();
    await inProcess.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { token, api } = await adminApi(cloud.httpUrl, inProcess.adminPassword, name);
    const commune = await createArea(api, "Xã Thử", await ownAreaId(api), "commune");
    const villages: string[] = [];
    for (let i = 0; i < villageCount; i++) villages.push(await createArea(api, `Thôn ${i + 1}`, commune, "village"));
    return { dir, cloud, api, token, commune, villages, fleets, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * `count` receivers provisioned in `areaId` and running, each online in the cloud. Fast reconnects (the
 * tests cut links on purpose); the light fleet timers (telemetry 30 s, amplifier poll 30 s).
 */
export async function agents(ac: AgentCloud, name: string, count: number, areaId: string, jitterMs = 300): Promise<RunningFleet> {
  const fleet = await startFleet({
    cloud: ac.cloud.httpUrl, apiToken: ac.token, count, areaIds: [areaId],
    statePath: join(ac.dir, `${name}.json`), dataDir: join(ac.dir, name), mqttUrl: `mqtt://127.0.0.1:${ac.cloud.mqttPort ?? 0}`,
    jitterMs, log: testLog, reconnect: { minMs: 100, maxMs: 500, stableMs: 30_000 },
  });
  ac.fleets.push(fleet);
  await fleet.started;
  await until(`${count} receivers of ${name} online in the cloud`, () => fleet.provision.receivers.every((r) => onlineInCloud(ac, r.deviceId)) || undefined, 60_000);
  return fleet;
}

/** The cloud's presence (birth/will, ARCHITECTURE §3 status) says the device is online. */
export const onlineInCloud = (ac: AgentCloud, deviceId: string): boolean => ac.cloud.presence.snapshot(deviceId)?.online === true;

export const idsOf = (fleet: RunningFleet): string[] => fleet.provision.receivers.map((r) => r.deviceId);

export interface Bulletin {
  id: string;
  sha256: string;
  bytes: number;
  durationMs: number;
}

/** A tone bulletin of `seconds`, uploaded through REST (ffmpeg transcodes it as for any upload). */
export async function toneBulletin(api: RestClient, seconds: number, freqHz = 523): Promise<Bulletin> {
  const form = new FormData();
  form.append("title", `Thử ${seconds} giây ${freqHz} Hz ${Date.now()}`);
  form.append("file", new Blob([toneWav({ seconds, freqHz })], { type: "audio/wav" }), "tone.wav");
  return ((await api.post("/api/v1/bulletins", { form }, ANY)) as { bulletin: Bulletin }).bulletin;
}

export interface Created {
  id: string;
  plannedPlays: number;
  targetDevices: number;
}

export async function broadcast(api: RestClient, bulletinId: string, areaIds: string[], when: { at: number } | "now", priority: Priority = "normal"): Promise<Created> {
  const body = { bulletinId, targets: { areaIds, deviceIds: [] }, priority, when: when === "now" ? { now: true } : { at: new Date(when.at).toISOString() } };
  const r = (await api.post("/api/v1/broadcasts", { json: body }, ANY)) as { broadcast: { id: string }; plannedPlays: number; targetDevices: number };
  return { id: r.broadcast.id, plannedPlays: r.plannedPlays, targetDevices: r.targetDevices };
}

export { playsOf };

/** Wait until the broadcast has one play per device in `deviceIds`, each in a status `ok` accepts. */
export function playsSettled(api: RestClient, broadcastId: string, deviceIds: readonly string[], ok: (p: Play) => boolean, ms = 30_000): Promise<Play[]> {
  return until(`plays of ${broadcastId} on ${deviceIds.length} devices`, async () => {
    const mine = (await playsOf(api, broadcastId)).filter((p) => deviceIds.includes(p.deviceId));
    return mine.length === deviceIds.length && mine.every(ok) ? mine : undefined;
  }, ms);
}

/** The plan the agent itself stored (`<dataDir>/plan/plan.json`, docs/receiver.md "Files"), or null. */
async function agentPlan(fleet: RunningFleet, deviceId: string): Promise<PlanPayload | null> {
  try {
    return JSON.parse(await readFile(join(fleet.dataDir, deviceId, "plan", "plan.json"), "utf8")) as PlanPayload;
  } catch {
    return null;
  }
}

export async function agentHas(fleet: RunningFleet, deviceId: string, playId: string): Promise<boolean> {
  return ((await agentPlan(fleet, deviceId))?.items ?? []).some((i) => i.playId === playId);
}
