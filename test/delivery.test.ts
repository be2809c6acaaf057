/**
 * Scheduling and delivery end to end, cloud side (ARCHITECTURE §2, §3, §7): the real store, the embedded
 * broker, the cloud's MQTT client, presence, createDelivery and the HTTP app, against three plain mqtt.js
 * "receivers" in one commune. Staff schedule a broadcast `at` T over REST; each receiver gets its plan,
 * pulls the media (multicast, coalesced), reports plan_applied / media_ready / play_started /
 * play_finished, and is acked. What the cloud guarantees for "plays at T" (§2 "Plan, not push-at-time") is
 * that plan and media are at every receiver ahead of T; the start itself is these fake receivers' own timer,
 * so it is only printed (the skew line) and checked not early. The plays end `finished` and the CSV report
 * lists all three.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemClock, chunkCount, encodePayload, isoOf, type BroadcastCreated, type DeviceEvent, type PlanPayload, type PlayList } from "@loa/shared";
import { CloudMqttClient } from "../cloud/src/adapters/mqtt/cloud-mqtt-client.js";
import { openStore } from "../cloud/src/adapters/store/open-store.js";
import { EmbeddedBroker } from "../cloud/src/broker/embedded-broker.js";
import { newDeviceToken } from "../cloud/src/core/auth/device-tokens.js";
import { hashPassword } from "../cloud/src/core/auth/password.js";
import { Presence } from "../cloud/src/core/presence.js";
import { createDelivery, type Delivery } from "../cloud/src/delivery/index.js";
import { createHttpApp } from "../cloud/src/http/app.js";
import { PASSWORD, TEST_COST } from "../cloud/src/http/harness.fixture.js";
import { mediaPathOf } from "../cloud/src/http/routes/bulletin-media.js";
import { startHttpServer, type RunningServer } from "../cloud/src/http/server.js";
import type { Store } from "../cloud/src/ports/store.js";
import { loginCookie } from "./support/login.js";
import { untilValue } from "./support/wait.js";

const log = pino({ level: "silent" });
const clock = new SystemClock();
const DEVICES = ["loa_a", "loa_b", "loa_c"] as const;
const DURATION_MS = 1500;
/** Plan and media must be at each receiver at least this long before T (2.5 s ahead; they take ~0.1 s here). */
const READY_MARGIN_MS = 500;
/** A reported start earlier than T by more than this is a play started early. */
const EARLY_MS = 50;

/** A receiver reduced to its protocol: plan → plan_applied, media/req → chunks → media_ready, play at `at`. */
class PlainReceiver {
  readonly acks: number[] = [];
  readonly plans: PlanPayload[] = [];
  /** When (machine clock) a plan first held each playId, and when each sha256 was complete and verified. */
  readonly planArrived = new Map<string, number>();
  readonly mediaReady = new Map<string, number>();
  private seq = 0;
  private readonly chunks = new Map<string, Map<number, Buffer>>();
  private readonly handled = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(readonly id: string, private readonly client: MqttClient) {}

  static async connect(port: number, id: string, token: string): Promise<PlainReceiver> {
    const bootId = `boot_${id}`;
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: id, username: id, password: token, reconnectPeriod: 0,
      will: { topic: `loa/v1/dev/${id}/status`, payload: encodePayload("status", { online: false, bootId }), qos: 1, retain: true },
    });
    const r = new PlainReceiver(id, client);
    client.on("message", (topic, payload) => r.onMessage(topic, payload));
    await client.subscribeAsync([`loa/v1/dev/${id}/plan`, `loa/v1/dev/${id}/ack`, `loa/v1/dev/${id}/cmd`, "loa/v1/media/+/+"], { qos: 1 });
    await client.publishAsync(`loa/v1/dev/${id}/status`, encodePayload("status", { online: true, bootId, agentVersion: "0.0.0-test", profile: "loa-amp-v1", startedAt: isoOf(Date.now()) }), { qos: 1, retain: true });
    return r;
  }

  get lastSeq(): number {
    return this.seq;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parts = topic.split("/");
    if (parts[2] === "media") return this.onChunk(parts[3] ?? "", Number(parts[4]), payload);
    const body = JSON.parse(payload.toString("utf8")) as unknown;
    if (parts[4] === "ack") this.acks.push((body as { upToSeq: number }).upToSeq);
    if (parts[4] === "plan") this.onPlan(body as PlanPayload);
  }

  private onPlan(plan: PlanPayload): void {
    this.plans.push(plan);
    for (const item of plan.items) if (!this.planArrived.has(item.playId)) this.planArrived.set(item.playId, Date.now());
    this.report({ type: "plan_applied", version: plan.version });
    for (const item of plan.items) {
      if (this.handled.has(item.playId)) continue;
      this.handled.add(item.playId);
      const { sha256 } = item.media;
      if (!this.chunks.has(sha256)) {
        this.chunks.set(sha256, new Map());
        const missing = Array.from({ length: chunkCount(item.media) }, (_, i) => i);
        void this.client.publishAsync(`loa/v1/dev/${this.id}/media/req`, encodePayload("mediaReq", { sha256, missing }), { qos: 1 });
      }
      const at = Date.parse(item.at);
      this.timers.push(setTimeout(() => {
        this.report({ type: "play_started", playId: item.playId, at: item.at, startedAt: isoOf(Date.now()) });
        this.timers.push(setTimeout(() => this.report({ type: "play_finished", playId: item.playId, playedMs: DURATION_MS }), DURATION_MS));
      }, Math.max(0, at - Date.now())));
    }
  }

  private onChunk(sha256: string, index: number, data: Buffer): void {
    const got = this.chunks.get(sha256);
    if (!got || got.has(index)) return;
    got.set(index, Buffer.from(data));
    const whole = Buffer.concat([...got.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
    if (createHash("sha256").update(whole).digest("hex") !== sha256) return;
    this.mediaReady.set(sha256, Date.now());
    this.report({ type: "media_ready", sha256 });
  }

  /** One event per batch (the real outbox batches; the cloud's rules are the same). */
  private report(e: Record<string, unknown>): void {
    const event = { ...e, seq: ++this.seq, ts: Date.now() } as DeviceEvent;
    void this.client.publishAsync(`loa/v1/dev/${this.id}/events`, encodePayload("events", { seq: event.seq, events: [event] }), { qos: 1 });
  }
}

describe("delivery end to end: a broadcast at T to a commune of three receivers", () => {
  let dir: string;
  let store: Store;
  let broker: EmbeddedBroker;
  let cloud: CloudMqttClient;
  let delivery: Delivery;
  let http: RunningServer;
  let cookie = "";
  let sha = "";
  const receivers: PlainReceiver[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loa-delivery-e2e-"));
    store = await openStore({ dataDir: dir, clock, log });
    const mediaDir = join(dir, "media");
    await mkdir(mediaDir, { recursive: true });
    const audio = randomBytes(150_000); // three 64 KiB chunks
    sha = createHash("sha256").update(audio).digest("hex");
    await writeFile(join(mediaDir, `${sha}.opus`), audio);
    const tokens = new Map(DEVICES.map((id) => [id, newDeviceToken()]));
    const now = isoOf(Date.now());
    const passwordHash = await hashPassword(PASSWORD, TEST_COST);
    await store.catalog.update((d) => {
      d.areas.push({ id: "P", name: "Tỉnh Thử", parentId: null, kind: "province" }, { id: "C", name: "Xã Tân Phú", parentId: "P", kind: "commune" }, { id: "V", name: "Thôn Một", parentId: "C", kind: "village" });
      d.users.push({ id: "u_staff", username: "staff", passwordHash, role: "staff", areaId: "C", createdAt: now });
      d.bulletins.push({ id: "bul_1", title: "Lịch tiêm phòng", sha256: sha, bytes: audio.length, durationMs: DURATION_MS, codec: "opus", loudnessLufs: -16, source: "upload", areaId: "C", createdBy: "u_staff", createdAt: now });
      for (const [i, id] of DEVICES.entries()) d.devices.push({ id, name: `Loa ${i + 1}`, areaId: i === 0 ? "C" : "V", profile: "loa-amp-v1", tokenHash: tokens.get(id)?.tokenHash ?? "", createdAt: now });
    });
    broker = await EmbeddedBroker.start({ catalog: store.catalog, log, tcp: { host: "127.0.0.1", port: 0 } });
    cloud = new CloudMqttClient({ ...broker.cloudCredentials(), clock, log });
    const presence = new Presence({ clock, log });
    cloud.on("status", (id, status, meta) => presence.onStatus(id, status, { retained: meta.retained }));
    delivery = createDelivery({ catalog: store.catalog, journal: store.journal, mqtt: cloud, presence, clock, log, mediaPathOf: (s) => mediaPathOf(mediaDir, s), config: { tz: "Asia/Ho_Chi_Minh", schedule: false } });
    await cloud.start();
    await delivery.start();
    const app = createHttpApp({ catalog: store.catalog, journal: store.journal, clock, log, config: { publicMqttUrl: "mqtt://127.0.0.1", passwordCost: TEST_COST, validateResponses: true }, routes: delivery.routes });
    http = await startHttpServer(app.app, 0, "127.0.0.1");
    cookie = await loginCookie(http.url, "staff", PASSWORD);
    for (const id of DEVICES) receivers.push(await PlainReceiver.connect(broker.port, id, tokens.get(id)?.token ?? ""));
  }, 60_000);

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await http?.close();
    await delivery?.close();
    await cloud?.close();
    await broker?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => fetch(`${http.url}${path}`, { headers: { cookie } });

  it("plans, media, plays and acks go round; the plays end finished; the CSV lists all three", async () => {
    // Each receiver got its (empty) plan at birth.
    await untilValue("plans at birth", () => receivers.map((r) => r.plans.length), (n) => n.every((x) => x >= 1), 15_000, 25);
    const at = Date.now() + 2500;
    const res = await fetch(`${http.url}/api/v1/broadcasts`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ bulletinId: "bul_1", targets: { areaIds: ["C"] }, priority: "normal", when: { at: isoOf(at) } }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as BroadcastCreated;
    expect(created).toMatchObject({ targetDevices: 3, plannedPlays: 3, conflicts: [] });
    const playId = `${created.broadcast.id}:${at}`;
    // The plans were handed to the broker before the reply; they reach the receivers right after.
    for (const r of receivers) await untilValue(`${r.id}'s plan`, () => r.plans.at(-1)?.items.map((i) => i.playId) ?? [], (ids) => ids.length === 1 && ids[0] === playId, 15_000, 25);

    const plays = async () => ((await (await get(`/api/v1/plays?broadcastId=${created.broadcast.id}`)).json()) as PlayList).items;
    const done = await untilValue("three finished plays", plays, (items) => items.length === 3 && items.every((p) => p.status === "finished"), 15_000, 25);
    expect(done.map((p) => p.deviceId).sort()).toEqual([...DEVICES]);
    // Plan and media were at every receiver ahead of T: what lets a real agent start on the second.
    const aheadMs = Object.fromEntries(receivers.map((r) => [r.id, { plan: at - (r.planArrived.get(playId) ?? Infinity), media: at - (r.mediaReady.get(sha) ?? Infinity) }]));
    for (const r of receivers) {
      expect(aheadMs[r.id]?.plan, `${r.id}: plan ahead of T (ms)`).toBeGreaterThanOrEqual(READY_MARGIN_MS);
      expect(aheadMs[r.id]?.media, `${r.id}: media ahead of T (ms)`).toBeGreaterThanOrEqual(READY_MARGIN_MS);
    }
    // Start skew: each receiver's reported start minus T, printed (one JSON line). It measures these fake
    // receivers' own setTimeout, so only "not early" is checked; real agents' precision is fleet-e2e's.
    const skew = Object.fromEntries(done.map((p) => [p.deviceId, Date.parse(p.startedAt ?? "") - at]));
    console.log(JSON.stringify({ test: "delivery.startSkew", at: isoOf(at), skewMs: skew, maxAbsMs: Math.max(...Object.values(skew).map(Math.abs)), aheadMs }));
    for (const p of done) {
      expect(p).toMatchObject({ playId, at: isoOf(at), playedMs: DURATION_MS });
      expect(Date.parse(p.startedAt ?? "")).toBeGreaterThanOrEqual(at - EARLY_MS);
    }
    // Every event was acked, and only after it was stored: the journal holds each (device, seq) once.
    for (const r of receivers) await untilValue(`acks of ${r.id}`, () => r.acks.at(-1) ?? 0, (n) => n === r.lastSeq, 15_000, 25);
    const seen = new Map<string, number>();
    await store.journal.replay((e) => {
      if (e.kind === "event") seen.set(`${String(e.deviceId)}:${String(e.seq)}`, (seen.get(`${String(e.deviceId)}:${String(e.seq)}`) ?? 0) + 1);
    });
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(receivers.reduce((n, r) => n + r.lastSeq, 0));
    // Three receivers asked for the same three chunks at about the same time: multicast, not three copies.
    const media = delivery.stats().media;
    expect(media.refusedRequests).toBe(0);
    expect(media.chunksPublished).toBeGreaterThanOrEqual(3);
    expect(media.chunksPublished).toBeLessThanOrEqual(6);

    const detail = (await (await get(`/api/v1/broadcasts/${created.broadcast.id}`)).json()) as { broadcast: { summary: { devicesFinished: number; byStatus: Record<string, number> } } };
    expect(detail.broadcast.summary).toMatchObject({ devicesFinished: 3, byStatus: { finished: 3 } });

    const csv = await get(`/api/v1/reports/plays.csv?areaId=C`);
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).replace(/^\uFEFF/, "").split("\r\n").filter((l) => l !== "");
    expect(lines[0]).toMatch(/^Mã phát,Bản tin,Thiết bị,Khu vực,Thời điểm,Trạng thái/);
    expect(lines.slice(1).map((l) => l.split(",")[2]).sort()).toEqual(["Loa 1", "Loa 2", "Loa 3"]);
    expect(lines.slice(1).every((l) => l.includes("Lịch tiêm phòng") && l.includes("Đã phát xong"))).toBe(true);
  }, 40_000);
});
