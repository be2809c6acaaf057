/**
 * The cloud's MQTT client (ARCHITECTURE §3, §4): the only place in cloud that touches mqtt.js. It connects
 * as `loa-cloud` to the embedded broker or to an external one (`MQTT_URL`), subscribes to every device's
 * dev→cloud topics, hands validated payloads to typed handlers, publishes with the QoS/retain of the
 * contract table, answers time/req itself, and reconnects on its own.
 */
import {
  DEFAULT_CLOUD_USER,
  LoaError,
  TOPIC_SPECS,
  createTopics,
  encodePayload,
  errorMessage,
  type Clock,
  type PayloadOf,
  type TimeReqPayload,
  type Topics,
} from "@loa/shared";
import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from "mqtt";
import type { Logger } from "pino";
import { INBOUND_KINDS, InboundRouter, type InboundCounters, type InboundHandler, type InboundKind, type InboundMeta, type SeenHandler } from "./inbound.js";

/** cloud→dev kinds the cloud publishes per device. */
export type OutboundKind = "ack" | "plan" | "cmd" | "timeRes";

export interface CloudMqttClientDeps {
  /** `mqtt://host:port`, `mqtts://…`, `ws://…` (embedded broker: `EmbeddedBroker.cloudCredentials().url`). */
  url: string;
  username?: string;
  password: string;
  /** Stable id so an external broker keeps the session (and queues QoS 1) while the cloud restarts. */
  clientId?: string;
  prefix?: string;
  clock: Clock;
  log: Logger;
  reconnectPeriodMs?: number;
  /** Per connection attempt, and the limit for `start()`. Default 30 s. */
  connectTimeoutMs?: number;
  keepaliveS?: number;
}

export interface CloudMqttStats extends InboundCounters {
  connected: boolean;
  connects: number;
  /** Times the cloud (re)subscribed because the broker had no session for it. */
  subscribes: number;
  published: number;
  publishErrors: number;
  timeReplies: number;
}

/** CONNACK codes after which retrying at start-up is pointless (wrong credentials or client id). */
const FATAL_CONNACK = new Set([2, 4, 5]);

export class CloudMqttClient {
  readonly topics: Topics;
  private readonly inbound: InboundRouter;
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private ready: Promise<void> | undefined;
  private counts = { connects: 0, subscribes: 0, published: 0, publishErrors: 0, timeReplies: 0 };

  constructor(private readonly deps: CloudMqttClientDeps) {
    this.log = deps.log.child({ ns: "cloud.mqtt" });
    this.topics = createTopics(deps.prefix);
    this.inbound = new InboundRouter({ topics: this.topics, clock: deps.clock, log: this.log });
    this.inbound.on("timeReq", (deviceId, req, meta) => this.answerTime(deviceId, req, meta));
  }

  /** Typed handler for one dev→cloud kind; returns the function that removes it. */
  on<K extends InboundKind>(kind: K, handler: InboundHandler<K>): () => void {
    return this.inbound.on(kind, handler);
  }

  /** Every fresh message from a device, valid or not (presence `lastSeen`). */
  onSeen(handler: SeenHandler): () => void {
    return this.inbound.onSeen(handler);
  }

  /** Connect and subscribe; resolves once subscribed, rejects on bad credentials or after the connect timeout. */
  start(): Promise<void> {
    this.ready ??= this.connectFirst();
    return this.ready;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  stats(): CloudMqttStats {
    return { ...this.inbound.counters(), ...this.counts, connected: this.connected };
  }

  /** Publish a cloud→dev payload with the contract's QoS and retain flag; resolves when the broker has it (QoS 1). */
  async publish<K extends OutboundKind>(kind: K, deviceId: string, payload: PayloadOf<K>): Promise<void> {
    const spec = TOPIC_SPECS[kind];
    await this.send(this.topics.device(kind, deviceId), encodePayload(kind, payload), spec.qos, spec.retain);
  }

  /** One raw media chunk on the shared topic (ARCHITECTURE §3 "media over MQTT, pulled then multicast"). */
  async publishMedia(sha256: string, index: number, chunk: Buffer): Promise<void> {
    await this.send(this.topics.media(sha256, index), chunk, TOPIC_SPECS.media.qos, false);
  }

  /** Remove a retained plan or status (device deleted), so no stale copy is replayed to anyone. */
  async clearRetained(kind: "plan" | "status", deviceId: string): Promise<void> {
    await this.send(this.topics.device(kind, deviceId), Buffer.alloc(0), 1, true);
  }

  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    await client.endAsync(!client.connected);
  }

  private async send(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client) throw new LoaError("mqtt_not_started", "the MQTT client is not started");
    try {
      await client.publishAsync(topic, payload, { qos, retain });
      this.counts.published++;
    } catch (err) {
      this.counts.publishErrors++;
      throw new LoaError("mqtt_publish_failed", `publish to ${topic} failed: ${errorMessage(err)}`, { topic }, { cause: err });
    }
  }

  private options(): IClientOptions {
    return {
      protocolVersion: 4,
      clientId: this.deps.clientId ?? this.deps.username ?? DEFAULT_CLOUD_USER,
      username: this.deps.username ?? DEFAULT_CLOUD_USER,
      password: this.deps.password,
      // A persistent session: the broker keeps our subscriptions and queues QoS 1 messages while we are away.
      clean: false,
      // We subscribe ourselves whenever the broker has no session for us (see subscribeIfNeeded).
      resubscribe: false,
      // A stale time/res is worse than none.
      queueQoSZero: false,
      reconnectPeriod: this.deps.reconnectPeriodMs ?? 1000,
      connectTimeout: this.deps.connectTimeoutMs ?? 30_000,
      keepalive: this.deps.keepaliveS ?? 30,
    };
  }

  private connectFirst(): Promise<void> {
    const options = this.options();
    const limitMs = options.connectTimeout ?? 30_000;
    const client = connect(this.deps.url, options);
    this.client = client;
    let started = false;
    client.on("message", (topic, payload, packet) => this.inbound.dispatch(topic, payload, packet.retain));
    client.on("offline", () => this.log.warn({ url: redact(this.deps.url) }, "MQTT connection lost; reconnecting"));
    client.on("reconnect", () => this.log.debug("MQTT reconnecting"));
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        timer.cancel();
        if (started) return void this.log.error({ err: errorMessage(err) }, "MQTT session setup failed");
        this.client = undefined;
        client.end(true);
        reject(err);
      };
      const timer = this.deps.clock.setTimeout(() => fail(new LoaError("mqtt_unavailable", `no MQTT connection to ${redact(this.deps.url)} within ${limitMs} ms`)), limitMs);
      client.on("connect", (connack) => {
        this.subscribeIfNeeded(client, connack).then(() => {
          timer.cancel();
          started = true;
          resolve();
        }, (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
      });
      client.on("error", (err) => {
        const code = "code" in err ? err.code : undefined;
        this.log.error({ err: errorMessage(err), code, url: redact(this.deps.url) }, "MQTT client error");
        if (!started && typeof code === "number" && FATAL_CONNACK.has(code)) {
          fail(new LoaError("mqtt_refused", `the broker refused the cloud's MQTT login: ${errorMessage(err)}`, { code }));
        }
      });
    });
  }

  /** Subscribe whenever the broker has no session for us (first connect, or it lost it). */
  private async subscribeIfNeeded(client: MqttClient, connack: IConnackPacket): Promise<void> {
    this.counts.connects++;
    this.log.info({ sessionPresent: connack.sessionPresent, url: redact(this.deps.url) }, "MQTT connected");
    if (connack.sessionPresent) return;
    const filters = Object.fromEntries(INBOUND_KINDS.map((k) => [this.topics.allDevices(k), { qos: 1 as const }]));
    try {
      await client.subscribeAsync(filters);
    } catch (err) {
      // mqtt.js rejects when any filter comes back with SUBACK 128: the broker's ACL does not know the cloud user.
      throw new LoaError("mqtt_subscribe_refused", `the broker refused the cloud's subscriptions (check its ACL for ${this.deps.username ?? DEFAULT_CLOUD_USER}): ${errorMessage(err)}`, { filters: Object.keys(filters) }, { cause: err });
    }
    this.counts.subscribes++;
  }

  private answerTime(deviceId: string, req: TimeReqPayload, meta: InboundMeta): void {
    if (meta.retained) return;
    // t2 never before t1, even if the wall clock stepped back in between.
    const t2 = Math.max(meta.receivedAt, this.deps.clock.now());
    this.publish("timeRes", deviceId, { t0: req.t0, t1: meta.receivedAt, t2 }).then(
      () => this.counts.timeReplies++,
      (err: unknown) => this.log.warn({ deviceId, err: errorMessage(err) }, "time/res not sent"),
    );
  }
}

/** The URL without a password, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}
