/**
 * The whole system as separate processes (ARCHITECTURE §1, §9): `loa-cloud` on fixed free loopback ports (so
 * a SIGKILLed cloud comes back on the same ports and data dir) and `loa-sim fleet` against it, with an API
 * token, communes for the receivers, bulletin upload and broadcast helpers, and one `cleanup()` that kills
 * every process it started and removes its temp dir, whatever state the test left them in.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeviceView, Play } from "@loa/shared";
import { generateTone } from "../../cloud/src/adapters/ffmpeg/tone.js";
import { listAllDevices } from "../../firmware-sim/src/fleet/list-devices.js";
import { ANY, RestClient } from "../../firmware-sim/src/fleet/rest-client.js";
import type { PlayRecord } from "../../firmware-sim/src/fleet/play-log.js";
import type { ReceiverView } from "../../firmware-sim/src/fleet/fleet.js";
import { scheduleAt } from "../../firmware-sim/src/demo/broadcasts.js";
import { playsOf } from "../../firmware-sim/src/demo/watch.js";
import { startCloudProcess, type CloudProcess } from "./cloud-process.js";
import { adminApi, createArea, ownAreaId } from "./admin-api.js";
import { fleetControl, startFleetProcess, type FleetControl, type FleetProcess } from "./fleet-process.js";
import { freePort, killProcess, stopProcess } from "./processes.js";
import { until } from "./wait.js";

const PASSWORD = "mat-khau-e2e-tien-trinh-1";

export type { ReceiverView };

export class E2eSystem {
  cloud: CloudProcess | undefined;
  fleet: FleetProcess | undefined;
  api!: RestClient;
  token = "";
  communes: string[] = [];

  private constructor(readonly dir: string, readonly httpPort: number, readonly mqttPort: number) {}

  /** A temp dir, two free ports, the cloud, an admin API token and two communes with a village each. */
  static async create(name: string): Promise<E2eSystem> {
    const dir = await mkdtemp(join(tmpdir(), `loa-e2e-${name}-`));
    const sys = new E2eSystem(dir, await freePort(), await freePort());
    try {
      await sys.startCloud();
      await sys.setup();
    } catch (err) {
      await sys.cleanup();
      throw err;
    }
    return sys;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** (Re)start the cloud on the same ports and data dir. */
  async startCloud(): Promise<void> {
    this.cloud = await startCloudProcess({
      LOA_HTTP_PORT: String(this.httpPort), LOA_MQTT_PORT: String(this.mqttPort), LOA_MQTT_WS_PORT: "off",
      LOA_DATA_DIR: join(this.dir, "cloud"), LOA_ADMIN_PASSWORD: PASSWORD,
    });
  }

  /** kill -9: no shutdown path at all (no offline status, no flush beyond what was already durable). */
  async killCloud(): Promise<void> {
    if (this.cloud) await killProcess(this.cloud);
  }

  private async setup(): Promise<void> {
    ({ token: this.token, api: this.api } = await adminApi(this.httpUrl, PASSWORD, "e2e"));
    const root = await ownAreaId(this.api);
    for (const name of ["Xã Một", "Xã Hai"]) {
      const commune = await createArea(this.api, name, root, "commune");
      await createArea(this.api, `Thôn của ${name}`, commune, "village");
      this.communes.push(commune);
    }
  }

  /** `loa-sim fleet` with `count` receivers spread over the communes, state and data in the temp dir. */
  async startFleet(count: number): Promise<FleetProcess> {
    this.fleet = await startFleetProcess({
      cloud: this.httpUrl, apiToken: this.token, count, areaIds: this.communes,
      statePath: join(this.dir, "fleet.json"), dataDir: join(this.dir, "fleet-data"), mqttUrl: `mqtt://127.0.0.1:${this.mqttPort}`,
      args: ["--jitter-ms", "500", "--amp-poll-s", "1", "--telemetry-s", "5", "--log-level", "warn"],
    });
    return this.fleet;
  }

  get ctl(): FleetControl {
    if (!this.fleet) throw new Error("no fleet running");
    return fleetControl(this.fleet.controlUrl);
  }

  async receivers(): Promise<ReceiverView[]> {
    return (await this.ctl.get<{ items: ReceiverView[] }>("/receivers")).items;
  }

  /** What the fleet really played for a broadcast (real start times on the machine clock). */
  async fleetPlays(broadcastId: string): Promise<PlayRecord[]> {
    return (await this.ctl.get<{ items: PlayRecord[] }>(`/plays?playId=${encodeURIComponent(broadcastId)}`)).items;
  }

  /** Every device of the cloud: GET /api/v1/devices page after page (it is paged, ARCHITECTURE §7). */
  devices(): Promise<DeviceView[]> {
    return listAllDevices(this.api);
  }

  /** Every receiver online in the cloud (`online` or `fault`: connected). */
  async allOnline(count: number, ms = 30_000): Promise<string[]> {
    return until(`${count} receivers online in the cloud`, async () => {
      const items = await this.devices();
      const on = items.filter((d) => d.state !== "offline");
      return items.length === count && on.length === count ? on.map((d) => d.id) : undefined;
    }, ms);
  }

  /** Upload an ffmpeg-made sine of `seconds` through the multipart route (transcoded by the cloud). */
  async uploadTone(seconds: number, title: string): Promise<{ id: string; sha256: string; durationMs: number; bytes: number }> {
    const wav = await generateTone({ durationMs: seconds * 1000, freqHz: 440, outPath: join(this.dir, `tone-${seconds}.wav`), gainDb: 12 });
    const form = new FormData();
    form.set("title", title);
    form.set("file", new Blob([await readFile(wav)], { type: "audio/wav" }), "tone.wav");
    const { bulletin } = (await this.api.post("/api/v1/bulletins", { form }, ANY)) as { bulletin: { id: string; sha256: string; durationMs: number; bytes: number } };
    return bulletin;
  }

  /** A broadcast of the bulletin to both communes at `at` (epoch ms, a whole second). */
  broadcastAt(bulletinId: string, at: number): Promise<string> {
    return scheduleAt(this.api, bulletinId, this.communes, new Date(at));
  }

  plays(broadcastId: string): Promise<Play[]> {
    return playsOf(this.api, broadcastId);
  }

  /** Waits until the cloud holds `n` plays of the broadcast, each in one of `statuses`. */
  playsIn(broadcastId: string, n: number, statuses: readonly string[], ms = 30_000): Promise<Play[]> {
    return until(`${n} plays ${statuses.join("|")}`, async () => {
      const p = await this.plays(broadcastId);
      return p.length === n && p.every((x) => statuses.includes(x.status)) ? p : undefined;
    }, ms);
  }

  /** `media/req` messages the running cloud received since it started (`/metrics`, `loa_delivery{stat}`). */
  async mediaRequests(): Promise<number> {
    const text = await (await fetch(`${this.httpUrl}/metrics`, { headers: { authorization: `Bearer ${this.token}` } })).text();
    const m = /^loa_delivery\{stat="media\.requests"\} (\d+)$/m.exec(text);
    if (!m) throw new Error("no loa_delivery media.requests in /metrics");
    return Number(m[1]);
  }

  /** Kill whatever is still running (fleet first, SIGKILL after a short grace) and remove the temp dir. */
  async cleanup(): Promise<void> {
    const procs = [this.fleet, this.cloud].filter((p): p is FleetProcess | CloudProcess => p !== undefined);
    for (const p of procs) await stopProcess(p, 3000).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
