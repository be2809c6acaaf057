/**
 * Light receivers for the ingest benchmark: plain mqtt.js clients speaking the real protocol (ARCHITECTURE
 * §3) without the rest of the agent: they log in with a receiver's credentials under its client id, keep
 * a will, subscribe to their `ack` topic, publish a retained birth, telemetry (QoS 0, the shared example
 * payload with a fresh `ts`) every `telemetryS` from a random phase, and event batches from a per-device
 * `seq` like the outbox: kept until an `ack {upToSeq}` covers them, sent again after `resendMs`.
 *
 * IPC: → {type:"connected"} once every client is connected and subscribed; then on request
 *   ← {type:"birth"} → {type:"born"}          ← {type:"telemetry", on}
 *   ← {type:"burst", at, event} → at epoch `at` every client sends one batch with one event
 *     (`event`: "play_started" | "play_finished", for play `bc_bench_ingest:<playAt>`)
 *   ← {type:"report"} → {type:"report", sent, resent, acked, pending, telemetry, lastSeqs, ackedSeqs}
 *   ← {type:"stop"} → clean disconnects, exit.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { connect } from "mqtt";
import { examples } from "@loa/shared";

const opts = JSON.parse(process.argv[2] ?? "{}");
const records = JSON.parse(await readFile(opts.recordsPath, "utf8"));
const prefix = "loa/v1";
const resendMs = opts.resendMs ?? 15_000;
const counts = { sent: 0, resent: 0, acked: 0, telemetry: 0 };
const startedAt = new Date().toISOString();

class Light {
  constructor(r) {
    this.r = r;
    this.bootId = `b_${randomBytes(6).toString("hex")}`;
    this.seq = 0;
    /** Highest seq an ack covered. */
    this.ackedSeq = 0;
    /** seq → {payload, timer} not acked yet. */
    this.pending = new Map();
    this.topic = (kind) => `${prefix}/dev/${r.deviceId}/${kind}`;
  }

  connect() {
    this.client = connect(opts.mqttUrl, {
      clientId: `loa-edge-${this.r.deviceId}`, username: this.r.deviceId, password: this.r.token, clean: false, keepalive: 60,
      reconnectPeriod: 5_000 + Math.floor(Math.random() * 5_000), connectTimeout: 60_000,
      will: { topic: this.topic("status"), payload: Buffer.from(JSON.stringify({ online: false, bootId: this.bootId })), qos: 1, retain: true },
    });
    this.client.on("message", (_t, payload) => this.onAck(payload));
    this.client.on("error", () => undefined);
    return new Promise((resolve, reject) => {
      this.client.once("connect", () => this.client.subscribeAsync(this.topic("ack"), { qos: 1 }).then(resolve, reject));
    });
  }

  birth() {
    const birth = { online: true, bootId: this.bootId, agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt };
    return this.client.publishAsync(this.topic("status"), JSON.stringify(birth), { qos: 1, retain: true });
  }

  telemetry() {
    counts.telemetry++;
    const t = { ...examples.telemetry, ts: Date.now(), outboxDepth: this.pending.size };
    this.client.publish(this.topic("telemetry"), JSON.stringify(t), { qos: 0 });
  }

  sendEvent(event, playAt) {
    const seq = ++this.seq;
    const playId = `bc_bench_ingest:${playAt}`;
    const base = { seq, ts: Date.now(), playId };
    const e = event === "play_started"
      ? { ...base, type: "play_started", at: new Date(playAt).toISOString(), startedAt: new Date(playAt + 3).toISOString() }
      : { ...base, type: "play_finished", playedMs: 30_000 };
    const payload = JSON.stringify({ seq, events: [e] });
    counts.sent++;
    this.publishBatch(seq, payload);
  }

  publishBatch(seq, payload) {
    this.client.publish(this.topic("events"), payload, { qos: 1 });
    const timer = setTimeout(() => {
      counts.resent++;
      this.publishBatch(seq, payload);
    }, resendMs);
    this.pending.set(seq, timer);
  }

  onAck(payload) {
    let upTo;
    try {
      upTo = JSON.parse(payload.toString("utf8")).upToSeq;
    } catch {
      return;
    }
    if (typeof upTo === "number" && upTo > this.ackedSeq) this.ackedSeq = Math.min(upTo, this.seq);
    for (const [seq, timer] of this.pending) {
      if (seq > upTo) continue;
      clearTimeout(timer);
      this.pending.delete(seq);
      counts.acked++;
    }
  }
}

const lights = records.map((r) => new Light(r));
for (let i = 0; i < lights.length; i += 100) await Promise.all(lights.slice(i, i + 100).map((l) => l.connect()));
process.send?.({ type: "connected" });

let telemetryTimers = [];
process.on("message", (m) => {
  if (m?.type === "birth") {
    Promise.all(lights.map((l) => l.birth())).then(() => process.send?.({ type: "born" }));
  } else if (m?.type === "telemetry") {
    for (const t of telemetryTimers) clearTimeout(t);
    telemetryTimers = [];
    if (!m.on) return;
    const periodMs = (opts.telemetryS ?? 30) * 1000;
    for (const l of lights) {
      // A random phase, as receivers started at different moments.
      const first = setTimeout(() => {
        l.telemetry();
        telemetryTimers.push(setInterval(() => l.telemetry(), periodMs));
      }, Math.floor(Math.random() * periodMs));
      telemetryTimers.push(first);
    }
  } else if (m?.type === "burst") {
    setTimeout(() => {
      for (const l of lights) l.sendEvent(m.event, m.playAt);
    }, Math.max(0, m.at - Date.now()));
  } else if (m?.type === "report") {
    const lastSeqs = Object.fromEntries(lights.map((l) => [l.r.deviceId, l.seq]));
    const ackedSeqs = Object.fromEntries(lights.map((l) => [l.r.deviceId, l.ackedSeq]));
    const pending = lights.reduce((n, l) => n + l.pending.size, 0);
    process.send?.({ type: "report", ...counts, pending, lastSeqs, ackedSeqs });
  } else if (m?.type === "stop") {
    for (const t of telemetryTimers) clearTimeout(t);
    for (const l of lights) for (const t of l.pending.values()) clearTimeout(t);
    Promise.all(lights.map((l) => l.client.endAsync().catch(() => undefined))).then(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
