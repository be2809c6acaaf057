/**
 * `npm run demo` (ARCHITECTURE §9): the cloud with its embedded broker and store under ./data, a seeded
 * area tree with logins, bulletins and broadcasts, and a fleet of simulated receivers in two communes, so a
 * newcomer sees the whole loop within a minute: receivers online, a broadcast played by all of them at the
 * same second and confirmed in the cloud. docs/simulator.md "The demo" describes it.
 */
import { pino } from "pino";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { startFleet, type RunningFleet } from "../fleet/run-fleet.js";
import type { RestClient } from "../fleet/rest-client.js";
import { adminClient } from "./admin-token.js";
import { DEMO_TZ, ensureDailyBroadcast, scheduleAt, soon } from "./broadcasts.js";
import { portOrAny, startCloudChild, type CloudChild } from "./cloud-child.js";
import { loadDemoFile, newDemoFile, saveDemoFile, type DemoFile } from "./demo-file.js";
import { DEMO_TREE, seedAreas, seedBulletins, seedUsers, type SeedResult } from "./seed.js";
import { startSkewMs, waitConfirmed, waitOnline } from "./watch.js";

export interface DemoIo {
  env: NodeJS.ProcessEnv;
  out: Writable;
  /** The repository root (where cloud/bin/loa-cloud.js is). */
  root: string;
  cwd: string;
  /** Resolves on Ctrl-C / SIGTERM. */
  interrupted: Promise<void>;
}

export interface DemoSettings {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  wsPort: number | "off";
  receivers: number;
  leadS: number;
  exitAfterConfirm: boolean;
}

function intOf(v: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (v === undefined || v.trim() === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export function demoSettings(env: NodeJS.ProcessEnv, cwd: string): DemoSettings {
  const ws = env["LOA_MQTT_WS_PORT"];
  return {
    dataDir: resolve(cwd, env["LOA_DATA_DIR"] || "data"),
    host: env["LOA_HOST"] || "127.0.0.1",
    httpPort: intOf(env["LOA_HTTP_PORT"], 8080, 0, 65_535, "LOA_HTTP_PORT"),
    mqttPort: intOf(env["LOA_MQTT_PORT"], 1883, 0, 65_535, "LOA_MQTT_PORT"),
    wsPort: ws !== undefined && /^(off|none|false|no)$/i.test(ws.trim()) ? "off" : intOf(ws, 9001, 0, 65_535, "LOA_MQTT_WS_PORT"),
    receivers: intOf(env["DEMO_RECEIVERS"], 8, 1, 200, "DEMO_RECEIVERS"),
    leadS: intOf(env["DEMO_LEAD_S"], 60, 10, 3600, "DEMO_LEAD_S"),
    exitAfterConfirm: env["DEMO_EXIT_AFTER_CONFIRM"] === "1" || env["DEMO_EXIT_AFTER_CONFIRM"] === "true",
  };
}

/** `dir` when it can be written to, else a new temporary folder; says which. */
export async function writableDataDir(dir: string): Promise<{ dir: string; fallback: boolean; reason?: string }> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, "ok");
    await unlink(probe);
    return { dir, fallback: false };
  } catch (err) {
    const tmp = await mkdtemp(join(tmpdir(), "loa-demo-"));
    return { dir: tmp, fallback: true, reason: (err as Error).message };
  }
}

const line = (out: Writable, text = ""): void => void out.write(`${text}\n`);
/** HH:MM:SS in the demo's zone, as the panel shows times. */
const localTime = (d: Date): string => d.toLocaleTimeString("en-GB", { timeZone: DEMO_TZ, hour12: false });

async function startCloud(s: DemoSettings, io: DemoIo, demo: DemoFile): Promise<CloudChild> {
  const [http, mqtt, ws] = await Promise.all([portOrAny(s.httpPort, s.host), portOrAny(s.mqttPort, s.host), s.wsPort === "off" ? "off" : portOrAny(s.wsPort, s.host)]);
  const busy = [[s.httpPort, http, "HTTP"], [s.mqttPort, mqtt, "MQTT"]].filter(([want, got]) => want !== 0 && got === 0);
  for (const [want, , what] of busy) line(io.out, `  port ${want} (${what}) is busy: the cloud takes a free one`);
  const env: NodeJS.ProcessEnv = {
    ...io.env, LOA_DATA_DIR: s.dataDir, LOA_HOST: s.host, LOA_HTTP_PORT: String(http), LOA_MQTT_PORT: String(mqtt),
    LOA_MQTT_WS_PORT: String(ws), LOA_ADMIN_PASSWORD: demo.adminPassword, LOA_LOG_LEVEL: io.env["LOA_LOG_LEVEL"] || "info",
  };
  return startCloudChild({ bin: join(io.root, "cloud/bin/loa-cloud.js"), cwd: io.root, env, logFile: join(s.dataDir, "cloud.log") });
}

function printLogins(out: Writable, panelUrl: string, demo: DemoFile): void {
  line(out);
  line(out, `  Panel:  ${panelUrl}`);
  line(out, "  Logins (also in demo.json of the data folder):");
  const rows = [{ username: "admin", password: demo.adminPassword, role: "admin", area: DEMO_TREE.province }, ...Object.values(demo.users)];
  for (const r of rows) line(out, `    ${r.username.padEnd(16)} ${r.password.padEnd(20)} ${r.role}, ${r.area}`);
  line(out);
}

async function seed(api: RestClient, demo: DemoFile, out: Writable): Promise<SeedResult> {
  const created = { areas: 0, users: 0, bulletins: 0 };
  const areas = await seedAreas(api, created);
  await seedUsers(api, areas, demo, created);
  const bulletins = await seedBulletins(api, areas.districtId, created);
  const made = created.areas + created.users + created.bulletins > 0;
  line(out, `  seed: ${DEMO_TREE.province} › ${DEMO_TREE.district} › ${areas.communeIds.length} communes › ${areas.villageIds.length} villages; ` +
    `${Object.keys(demo.users).length + 1} logins; ${bulletins.ids.length} bulletins (${bulletins.source === "tts" ? "text-to-speech, espeak-ng" : "generated tone: no TTS engine"})` +
    `${made ? ` — created ${created.areas} areas, ${created.users} users, ${created.bulletins} bulletins` : " — already there, nothing added"}`);
  return { areas, bulletinIds: bulletins.ids, bulletinSource: bulletins.source, created };
}

async function startDemoFleet(s: DemoSettings, cloud: CloudChild, villageIds: string[], token: string): Promise<RunningFleet> {
  const log = pino({ level: "info", base: { part: "fleet" } }, createWriteStream(join(s.dataDir, "fleet.log"), { flags: "a" }));
  return startFleet({
    cloud: cloud.httpUrl, apiToken: token, count: s.receivers, areaIds: villageIds,
    statePath: join(s.dataDir, "demo-fleet.json"), dataDir: join(s.dataDir, "fleet"),
    mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, controlPort: 0, jitterMs: 3000, log,
    // The demo's receivers poll their amplifiers and report health more often than a big fleet would.
    agent: { ampPollMs: 5000, telemetryIntervalS: 10 },
  });
}

/** Wait online, then the confirmation; true when every receiver confirmed. */
async function watchLoop(io: DemoIo, api: RestClient, fleet: RunningFleet, broadcastId: string, at: Date, s: DemoSettings): Promise<boolean> {
  const ids = fleet.provision.receivers.map((r) => r.deviceId);
  const t0 = Date.now();
  const online = await waitOnline(api, ids, { timeoutMs: 90_000, interrupted: io.interrupted });
  if (online < ids.length) line(io.out, `✘ receivers online: ${online}/${ids.length} after ${Math.round((Date.now() - t0) / 1000)} s (see fleet.log and cloud.log)`);
  else line(io.out, `receivers online: ${online}/${ids.length} (in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  line(io.out, `waiting for the broadcast at ${localTime(at)} to be played and confirmed…`);
  const timeoutMs = at.getTime() - Date.now() + s.leadS * 1000 + 120_000;
  const done = await waitConfirmed(api, broadcastId, ids, { timeoutMs, interrupted: io.interrupted });
  const skew = startSkewMs(fleet.fleet.plays({ playId: broadcastId }).map((p) => p.startedAtMs));
  if (done === ids.length) {
    line(io.out, `✔ broadcast confirmed by ${done}/${ids.length} receivers (start skew ${skew} ms)`);
    return true;
  }
  line(io.out, `✘ broadcast confirmed by ${done}/${ids.length} receivers only (see fleet.log and cloud.log)`);
  return false;
}

/** The data folder (a temporary one when it cannot be written) and demo.json, saved before the cloud starts. */
async function prepareData(s: DemoSettings, out: Writable): Promise<{ demo: DemoFile; demoPath: string }> {
  const where = await writableDataDir(s.dataDir);
  if (where.fallback) line(out, `  ${s.dataDir} is not writable (${where.reason ?? ""}): using ${where.dir} instead`);
  s.dataDir = where.dir;
  const demoPath = join(s.dataDir, "demo.json");
  const previous = await loadDemoFile(demoPath);
  const demo = previous ?? newDemoFile(new Date());
  // Saved first: the admin password must be on disk before the cloud's first start uses it.
  await saveDemoFile(demoPath, demo);
  line(out, `  data: ${s.dataDir} (${previous ? `reused, first seeded ${demo.createdAt}` : "new"}); logs: cloud.log, fleet.log there`);
  return { demo, demoPath };
}

/** The whole demo; resolves with the exit code. */
export async function runDemo(io: DemoIo): Promise<number> {
  const s = demoSettings(io.env, io.cwd);
  line(io.out, "Loa demo — hệ thống truyền thanh thông minh");
  const { demo, demoPath } = await prepareData(s, io.out);
  line(io.out, "  starting the cloud (embedded MQTT broker, store in the data folder)…");
  const cloud = await startCloud(s, io, demo);
  let fleet: RunningFleet | undefined;
  try {
    line(io.out, `  cloud ready: ${cloud.httpUrl}, MQTT on port ${cloud.mqttPort}`);
    const api = await adminClient(cloud.httpUrl, demo);
    await saveDemoFile(demoPath, demo);
    const seeded = await seed(api, demo, io.out);
    await saveDemoFile(demoPath, demo);
    const [first] = seeded.bulletinIds;
    if (!first) throw new Error("no bulletin was seeded");
    const daily = await ensureDailyBroadcast(api, first, seeded.areas.communeIds);
    fleet = await startDemoFleet(s, cloud, seeded.areas.villageIds, demo.apiToken ?? "");
    const at = soon(Date.now(), s.leadS * 1000);
    const broadcastId = await scheduleAt(api, seeded.bulletinIds[1] ?? first, seeded.areas.communeIds, at);
    line(io.out, `  broadcasts: every day at 06:00 (${daily.created ? "created" : "kept"}); one at ${localTime(at)} ${DEMO_TZ} (in ${s.leadS} s) to both communes`);
    line(io.out, `  fleet: ${fleet.provision.receivers.length} simulated receivers (${fleet.provision.reused} reused, ${fleet.provision.provisioned} provisioned); control http://127.0.0.1:${fleet.control?.port ?? "?"}/`);
    printLogins(io.out, cloud.httpUrl.replace("127.0.0.1", "localhost") + "/", demo);
    const ok = await watchLoop(io, api, fleet, broadcastId, at, s);
    if (!s.exitAfterConfirm) {
      line(io.out, "Everything runs. Ctrl-C stops the receivers, then the cloud.");
      await io.interrupted;
    }
    // Without DEMO_EXIT_AFTER_CONFIRM the user ended the demo with Ctrl-C: a normal end.
    return s.exitAfterConfirm && !ok ? 1 : 0;
  } finally {
    line(io.out, "stopping the receivers…");
    await fleet?.stop();
    line(io.out, "stopping the cloud…");
    await cloud.stop();
    line(io.out, "stopped.");
  }
}
