/**
 * MemoryLink: the Link port in memory, for unit tests of the receiver's logic (ARCHITECTURE §3). It plays the
 * broker too: a retained map, QoS 1 messages kept for a persistent session while offline, the will on an
 * abrupt disconnect. It validates and routes exactly like MqttJsLink (shared LinkCore) and passes the same
 * contract suite (link-contract.ts).
 *
 * Test side: `sent` (everything that reached the "broker", status included), `sentOf(kind)`, `retained`,
 * `inject(topic, bytes)` / `deliver(kind, value)` / `deliverMedia(...)` (the cloud publishes),
 * `disconnect()` / `reconnect()` (link loss and recovery), `onSent(fn)` (auto-responders).
 */
import {
  TOPIC_SPECS,
  encodePayload,
  newId,
  type Clock,
  type PayloadOf,
  type TopicKind,
} from "@loa/shared";
import pino, { type Logger } from "pino";
import { LinkCore, queuesWhenOffline } from "../adapters/mqtt/link-core.js";
import {
  LinkError,
  type InboundKind,
  type Link,
  type LinkEventName,
  type LinkHandler,
  type LinkStats,
  type OutboundKind,
  type PublishOptions,
} from "../ports/link.js";

export interface MemoryLinkDeps {
  deviceId?: string;
  prefix?: string;
  agentVersion?: string;
  profile?: string;
  bootId?: string;
  startedAt?: number;
  clock?: Clock;
  log?: Logger;
  /** Most QoS 1 publishes waiting while offline (default 1000). */
  maxPending?: number;
}

export interface SentMessage {
  topic: string;
  /** The topic kind, or undefined for a topic that is not ours. */
  kind: TopicKind | undefined;
  bytes: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

interface Waiting {
  topic: string;
  bytes: Buffer;
  retain: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** MQTT filter match with `+` and a trailing `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class MemoryLink implements Link {
  readonly deviceId: string;
  readonly bootId: string;
  readonly sent: SentMessage[] = [];
  readonly retained = new Map<string, Buffer>();
  private readonly core: LinkCore;
  private readonly waiting: Waiting[] = [];
  /** Cloud→device QoS 1 messages the "broker" keeps for the persistent session while we are offline. */
  private readonly sessionQueue: { topic: string; bytes: Buffer }[] = [];
  private readonly sentHooks = new Set<(msg: SentMessage) => void>();
  private readonly session = new Set<string>();
  private started = false;
  private stopped = false;
  private connected = false;
  private connects = 0;

  constructor(private readonly deps: MemoryLinkDeps = {}) {
    this.deviceId = deps.deviceId ?? "dev_test";
    this.bootId = deps.bootId ?? newId("b");
    this.core = new LinkCore(
      {
        deviceId: this.deviceId,
        prefix: deps.prefix,
        agentVersion: deps.agentVersion ?? "0.0.0-test",
        profile: deps.profile ?? "loa-amp-v1",
        startedAt: deps.startedAt ?? deps.clock?.now() ?? Date.now(),
        bootId: this.bootId,
      },
      deps.log ?? pino({ level: "silent" }),
    );
  }

  get online(): boolean {
    return this.connected;
  }

  get topics(): LinkCore["topics"] {
    return this.core.topics;
  }

  start(): Promise<void> {
    if (this.started || this.stopped) return Promise.resolve();
    this.started = true;
    this.connect();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    const wasOnline = this.connected;
    if (this.connected) this.record(this.core.statusTopic, this.core.willBytes, 1, true);
    this.connected = false;
    for (const w of this.waiting.splice(0)) w.reject(new LinkError("link_stopped", "link stopped"));
    if (wasOnline) this.core.emitter.emit("offline", { reason: "stopped" });
    return Promise.resolve();
  }

  publish<K extends OutboundKind>(kind: K, payload: PayloadOf<K>, opts: PublishOptions = {}): Promise<void> {
    try {
      const bytes = encodePayload(kind, payload);
      const spec = TOPIC_SPECS[kind];
      const topic = this.core.topics.device(kind, this.deviceId);
      if (this.stopped) throw new LinkError("link_stopped", `cannot publish ${kind}: link stopped`);
      if (this.connected) {
        this.record(topic, bytes, spec.qos, spec.retain);
        return Promise.resolve();
      }
      if (!this.started || !queuesWhenOffline(kind, opts)) throw new LinkError("offline", `cannot publish ${kind}: not connected`, { kind });
      if (this.waiting.length >= (this.deps.maxPending ?? 1000)) throw new LinkError("queue_full", `cannot publish ${kind}: queue full`);
      return new Promise((resolve, reject) => this.waiting.push({ topic, bytes, retain: spec.retain, resolve, reject }));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  wantMedia(sha256: string): void {
    const filter = this.core.want(sha256);
    if (filter) this.session.add(filter);
  }

  unwantMedia(sha256: string): void {
    const filter = this.core.unwant(sha256);
    if (filter) this.session.delete(filter);
  }

  on<E extends LinkEventName>(event: E, handler: LinkHandler<E>): () => void {
    return this.core.emitter.on(event, handler);
  }

  stats(): LinkStats {
    return { ...this.core.stats(), connects: this.connects, pending: this.waiting.length };
  }

  // ---- test side ----

  /** The cloud publishes raw bytes on `topic` (QoS 1): delivered if subscribed; kept for the session while offline. */
  inject(topic: string, payload: Buffer | string): void {
    const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    if (!this.subscribed(topic)) return;
    if (this.connected) this.core.route(topic, bytes);
    else if (!this.stopped && this.started) this.sessionQueue.push({ topic, bytes });
  }

  /** The cloud publishes a value on this device's `kind` topic (JSON, not validated: tests may send bad ones). */
  deliver<K extends InboundKind>(kind: K, value: PayloadOf<K> | unknown): void {
    this.inject(this.core.topics.device(kind, this.deviceId), JSON.stringify(value));
  }

  deliverMedia(sha256: string, index: number, data: Buffer): void {
    this.inject(this.core.topics.media(sha256, index), data);
  }

  /** Abrupt loss: the "broker" publishes the will; QoS 1 publishes wait for `reconnect()`. */
  disconnect(reason = "connection lost"): void {
    if (!this.connected) return;
    this.connected = false;
    this.record(this.core.statusTopic, this.core.willBytes, 1, true);
    this.core.emitter.emit("offline", { reason });
  }

  reconnect(): void {
    if (this.connected || this.stopped || !this.started) return;
    this.connect();
  }

  /** Payloads published on `kind` (parsed JSON), in order. */
  sentOf<K extends OutboundKind | "status">(kind: K): PayloadOf<K>[] {
    return this.sent.filter((m) => m.kind === kind).map((m) => JSON.parse(m.bytes.toString("utf8")) as PayloadOf<K>);
  }

  /** Called with each message that reaches the "broker" (e.g. a time/res auto-responder). */
  onSent(fn: (msg: SentMessage) => void): () => void {
    this.sentHooks.add(fn);
    return () => this.sentHooks.delete(fn);
  }

  subscriptions(): string[] {
    return [...this.session];
  }

  private connect(): void {
    for (const f of this.core.filters()) this.session.add(f);
    this.connected = true;
    this.connects++;
    for (const q of this.sessionQueue.splice(0)) if (this.subscribed(q.topic)) this.core.route(q.topic, q.bytes);
    this.record(this.core.statusTopic, this.core.birthBytes, 1, true);
    for (const w of this.waiting.splice(0)) {
      this.record(w.topic, w.bytes, 1, w.retain);
      w.resolve();
    }
    this.core.emitter.emit("online", { bootId: this.bootId, connects: this.connects });
  }

  private subscribed(topic: string): boolean {
    return [...this.session].some((f) => topicMatches(f, topic));
  }

  private record(topic: string, bytes: Buffer, qos: 0 | 1, retain: boolean): void {
    const parsed = this.core.topics.parse(topic);
    const msg: SentMessage = { topic, kind: parsed?.kind, bytes, qos, retain };
    this.sent.push(msg);
    if (retain) this.retained.set(topic, bytes);
    for (const h of [...this.sentHooks]) h(msg);
  }
}
