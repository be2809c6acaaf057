/**
 * MqttJsLink: the receiver's MQTT link over mqtt.js, the only code in edge-agent touching mqtt.js
 * (ARCHITECTURE §3; STYLE "only lib/mqtt.ts touches mqtt.js").
 *
 * - Auth: username = deviceId, password = token. Stable clientId `loa-edge-<deviceId>` with `clean: false`,
 *   so QoS 1 messages queued by the broker while we were offline are delivered on reconnect.
 * - Status: the retained birth `{online:true, bootId, ...}` is published on every (re)connect, after the
 *   subscriptions are acknowledged (the cloud answers a birth with the plan). The will `{online:false,
 *   bootId}` is retained QoS 1; a clean stop publishes it ourselves, since a DISCONNECT discards the will.
 * - Subscriptions: own ack, plan, cmd, time/res, plus `<prefix>/media/<sha256>/+` per wanted file, on demand
 *   (a receiver on a cellular line must not receive every chunk the province downloads). All are renewed on
 *   every connect, because a broker restart loses the session.
 * - Reconnect: mqtt.js's own is off (`reconnectPeriod: 0`); we schedule `client.reconnect()` through the
 *   Clock with full-jitter exponential backoff (backoff.ts), reset after a connection that lasted `stableMs`.
 *   The same in-memory stores are kept across reconnects, so QoS 1 publishes made offline are sent after.
 */
import { Store, connect, type IClientOptions, type ISubscriptionMap, type MqttClient } from "mqtt";
import {
  TOPIC_SPECS,
  encodePayload,
  errorMessage,
  newId,
  type Clock,
  type PayloadOf,
  type TimerHandle,
} from "@loa/shared";
import type { Logger } from "pino";
import {
  LinkError,
  type Link,
  type LinkEventName,
  type LinkHandler,
  type LinkStats,
  type OutboundKind,
  type PublishOptions,
} from "../../ports/link.js";
import { backoffDelay } from "./backoff.js";
import { LinkCore, queuesWhenOffline } from "./link-core.js";

export interface ReconnectOptions {
  /** Cap of the first reconnect delay (default 1000). */
  minMs?: number;
  /** Largest reconnect delay (default 60000). */
  maxMs?: number;
  /** A connection that lasted this long resets the backoff (default 30000). */
  stableMs?: number;
}

export interface MqttJsLinkDeps {
  /** `mqtt://host:1883`, `mqtts://`, `ws://`, `wss://`. */
  url: string;
  deviceId: string;
  token: string;
  /** Topic prefix, default `loa/v1`. */
  prefix?: string;
  agentVersion: string;
  /** Amplifier profile id announced in the birth. */
  profile: string;
  clock: Clock;
  log: Logger;
  /** Epoch ms the agent started (default: clock.now() at construction). */
  startedAt?: number;
  /** Default: a new random id (`b_<hex>`). */
  bootId?: string;
  reconnect?: ReconnectOptions;
  /** [0, 1) source of the reconnect jitter (default Math.random). */
  random?: () => number;
  /** MQTT keepalive in seconds (default 30). */
  keepaliveS?: number;
  /** Give up a connect attempt after this long (default 15000). */
  connectTimeoutMs?: number;
  /** On stop, wait this long for the will's PUBACK and the DISCONNECT (default 3000). */
  stopTimeoutMs?: number;
  /** Most QoS 1 publishes waiting for PUBACK or for the connection (default 1000). */
  maxPending?: number;
}

type Pending = (err: Error) => void;

export class MqttJsLink implements Link {
  readonly deviceId: string;
  readonly bootId: string;
  private readonly core: LinkCore;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly rc: Required<ReconnectOptions>;
  private readonly random: () => number;
  private readonly inStore = new Store();
  private readonly outStore = new Store();
  private readonly pending = new Set<Pending>();
  /** Media filters unwanted while offline: dropped from the (possibly resumed) session on the next connect. */
  private readonly staleFilters = new Set<string>();
  private client: MqttClient | undefined;
  private stopped = false;
  private isOnline = false;
  private generation = 0;
  private attempt = 0;
  private connects = 0;
  private connectedAt: number | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private lastError = "connection closed";

  constructor(private readonly deps: MqttJsLinkDeps) {
    this.deviceId = deps.deviceId;
    this.bootId = deps.bootId ?? newId("b");
    this.log = deps.log;
    this.clock = deps.clock;
    this.rc = { minMs: 1000, maxMs: 60_000, stableMs: 30_000, ...deps.reconnect };
    this.random = deps.random ?? Math.random;
    const { deviceId, prefix, agentVersion, profile } = deps;
    this.core = new LinkCore({ deviceId, prefix, agentVersion, profile, startedAt: deps.startedAt ?? deps.clock.now(), bootId: this.bootId }, deps.log);
  }

  get online(): boolean {
    return this.isOnline;
  }

  start(): Promise<void> {
    if (this.client || this.stopped) return Promise.resolve();
    const client = connect(this.deps.url, this.clientOptions());
    this.client = client;
    client.on("connect", (connack) => {
      this.onConnect(client, connack.sessionPresent).catch((err: unknown) => this.log.error({ err }, `mqtt connect handling failed: ${errorMessage(err)}`));
    });
    client.on("close", () => this.onClose());
    client.on("error", (err) => {
      this.lastError = errorMessage(err);
      this.log.warn({ err: this.lastError, url: this.deps.url }, `mqtt error: ${this.lastError}`);
    });
    client.on("message", (topic, payload) => this.core.route(topic, payload));
    this.log.info({ url: this.deps.url, clientId: this.clientId(), bootId: this.bootId }, "mqtt connecting");
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    const client = this.client;
    const wasOnline = this.isOnline;
    this.isOnline = false;
    if (client?.connected) {
      await this.withTimeout(this.send(client, this.core.statusTopic, this.core.willBytes, 1, true), "will");
      // A DISCONNECT makes the broker discard the will: we just published its payload ourselves.
      await this.withTimeout(client.endAsync(false), "disconnect");
    }
    // Not connected (or the DISCONNECT timed out): drop the socket; end(true) is a no-op while disconnecting.
    if (client && !client.disconnected) {
      client.end(true);
      client.stream?.destroy();
    }
    this.rejectPending(new LinkError("link_stopped", "link stopped"));
    if (wasOnline) this.core.emitter.emit("offline", { reason: "stopped" });
    this.log.info({ bootId: this.bootId }, "mqtt link stopped");
  }

  async publish<K extends OutboundKind>(kind: K, payload: PayloadOf<K>, opts: PublishOptions = {}): Promise<void> {
    const bytes = encodePayload(kind, payload);
    const spec = TOPIC_SPECS[kind];
    const client = this.client;
    if (this.stopped) throw new LinkError("link_stopped", `cannot publish ${kind}: link stopped`);
    if (!client || (!client.connected && !queuesWhenOffline(kind, opts))) {
      throw new LinkError("offline", `cannot publish ${kind}: not connected`, { kind });
    }
    if (spec.qos === 1 && this.pending.size >= (this.deps.maxPending ?? 1000)) {
      throw new LinkError("queue_full", `cannot publish ${kind}: ${this.pending.size} messages already waiting`, { kind });
    }
    await this.send(client, this.core.topics.device(kind, this.deviceId), bytes, spec.qos, spec.retain);
  }

  wantMedia(sha256: string): void {
    const filter = this.core.want(sha256);
    if (!filter) return;
    this.staleFilters.delete(filter);
    if (this.client?.connected) this.subscribe(this.client, [filter]).catch(() => undefined);
  }

  unwantMedia(sha256: string): void {
    const filter = this.core.unwant(sha256);
    if (!filter) return;
    if (this.client?.connected) {
      this.client.unsubscribeAsync(filter).catch((err: unknown) => this.log.warn({ filter, err: errorMessage(err) }, "unsubscribe failed"));
    } else {
      this.staleFilters.add(filter);
    }
  }

  on<E extends LinkEventName>(event: E, handler: LinkHandler<E>): () => void {
    return this.core.emitter.on(event, handler);
  }

  stats(): LinkStats {
    return { ...this.core.stats(), connects: this.connects, pending: this.pending.size };
  }

  private clientId(): string {
    return `loa-edge-${this.deviceId}`;
  }

  private clientOptions(): IClientOptions {
    return {
      clientId: this.clientId(),
      username: this.deviceId,
      password: this.deps.token,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet's default pre-builds a 2-byte Buffer for each of the 65,536 packet ids/lengths on the
      // first write: ~7 MB of live heap, a third of the idle receiver's (docs/performance.md, footprint).
      writeCache: false,
      keepalive: this.deps.keepaliveS ?? 30,
      connectTimeout: this.deps.connectTimeoutMs ?? 15_000,
      incomingStore: this.inStore,
      outgoingStore: this.outStore,
      will: {
        topic: this.core.statusTopic,
        payload: this.core.willBytes,
        qos: 1,
        retain: true,
      },
    };
  }

  /** Subscribe first, then the birth (the cloud answers it with the plan), then tell the outbox. */
  private async onConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.connects++;
    this.connectedAt = this.clock.now();
    this.log.info({ connects: this.connects, sessionPresent }, "mqtt connected");
    if (this.staleFilters.size > 0) {
      const stale = [...this.staleFilters];
      this.staleFilters.clear();
      client.unsubscribeAsync(stale).catch(() => undefined);
    }
    await this.subscribe(client, this.core.filters());
    if (gen !== this.generation || !client.connected || this.stopped) return;
    this.send(client, this.core.statusTopic, this.core.birthBytes, 1, true).catch((err: unknown) =>
      this.log.warn({ err: errorMessage(err) }, "birth not acknowledged"),
    );
    this.isOnline = true;
    this.core.emitter.emit("online", { bootId: this.bootId, connects: this.connects });
  }

  private async subscribe(client: MqttClient, filters: string[]): Promise<void> {
    const map: ISubscriptionMap = {};
    for (const f of filters) map[f] = { qos: this.qosOf(f) };
    try {
      const granted = await client.subscribeAsync(map);
      for (const g of granted) {
        if (g.qos === 128) this.log.error({ filter: g.topic }, `broker refused subscription ${g.topic}`);
      }
    } catch (err) {
      this.log.warn({ filters, err: errorMessage(err) }, "subscribe failed");
    }
  }

  private qosOf(filter: string): 0 | 1 {
    const parsed = this.core.topics.parse(filter);
    return parsed && parsed.kind !== "media" ? TOPIC_SPECS[parsed.kind].qos : 1;
  }

  private onClose(): void {
    if (this.stopped) return;
    this.generation++;
    const now = this.clock.now();
    if (this.connectedAt !== undefined) {
      if (now - this.connectedAt >= this.rc.stableMs) this.attempt = 0;
      this.connectedAt = undefined;
    }
    if (this.isOnline) {
      this.isOnline = false;
      this.log.warn({ reason: this.lastError }, "mqtt connection lost");
      this.core.emitter.emit("offline", { reason: this.lastError });
    }
    this.lastError = "connection closed";
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopped) return;
    const attempt = this.attempt++;
    const delayMs = backoffDelay(attempt, this.rc, this.random);
    this.log.info({ attempt, delayMs }, "mqtt reconnect scheduled");
    this.core.emitter.emit("reconnecting", { attempt, delayMs });
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || !this.client) return;
      // The same stores: QoS 1 messages published while offline are resent after the CONNACK.
      this.client.reconnect({ incomingStore: this.inStore, outgoingStore: this.outStore });
    }, delayMs);
  }

  /** mqtt.js publish as a promise that settles once: PUBACK (QoS 1), written (QoS 0), or rejectPending. */
  private send(client: MqttClient, topic: string, bytes: Buffer, qos: 0 | 1, retain: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle: Pending = (err) => {
        if (settled) return;
        settled = true;
        this.pending.delete(settle);
        reject(err instanceof LinkError ? err : new LinkError("publish_failed", `publish ${topic}: ${err.message}`, { topic }, { cause: err }));
      };
      if (qos === 1) this.pending.add(settle);
      client.publish(topic, bytes, { qos, retain }, (err) => {
        if (err) return settle(err);
        if (settled) return;
        settled = true;
        this.pending.delete(settle);
        resolve();
      });
    });
  }

  private rejectPending(err: LinkError): void {
    for (const p of [...this.pending]) p(err);
  }

  private async withTimeout(p: Promise<unknown>, what: string): Promise<void> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(() => {
        this.log.warn(`mqtt ${what} not confirmed within ${this.deps.stopTimeoutMs ?? 3000} ms`);
        resolve();
      }, this.deps.stopTimeoutMs ?? 3000);
    });
    const done = p.then(
      () => undefined,
      (err: unknown) => this.log.warn({ err: errorMessage(err) }, `mqtt ${what} failed`),
    );
    await Promise.race([done, timeout]);
    timer?.cancel();
  }
}
