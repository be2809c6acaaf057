/**
 * What every Link implementation shares, so MqttJsLink and the MemoryLink fake behave the same (they run one
 * contract suite): typed handlers, inbound routing with validation and counting, the subscription set, and
 * the birth and will payloads (ARCHITECTURE §3). No mqtt.js here.
 */
import {
  MAX_MEDIA_CHUNK_BYTES,
  TOPIC_SPECS,
  createTopics,
  encodePayload,
  errorMessage,
  isSha256,
  isoOf,
  parsePayload,
  type StatusBirth,
  type StatusWill,
  type Topics,
} from "@loa/shared";
import type { Logger } from "pino";
import {
  INBOUND_KINDS,
  type InboundKind,
  type InvalidMessage,
  type LinkEventName,
  type LinkEvents,
  type LinkHandler,
  type LinkStats,
  type OutboundKind,
  type PublishOptions,
} from "../../ports/link.js";

export interface LinkIdentity {
  deviceId: string;
  /** Topic prefix, default `loa/v1`. */
  prefix?: string;
  agentVersion: string;
  /** Amplifier profile id announced in the birth. */
  profile: string;
  /** Epoch ms the agent process started (birth `startedAt`). */
  startedAt: number;
  bootId: string;
}

/** ARCHITECTURE §3 default: QoS 1 kinds wait for the connection, QoS 0 kinds (stale by then) are refused. */
export function queuesWhenOffline(kind: OutboundKind, opts: PublishOptions): boolean {
  return (opts.whenOffline ?? (TOPIC_SPECS[kind].qos === 1 ? "queue" : "reject")) === "queue";
}

type AnyHandler = (event: never) => void | Promise<void>;

/** Handlers per event; a throwing or rejecting handler is logged and never reaches the link. */
export class LinkEmitter {
  private readonly handlers = new Map<LinkEventName, Set<AnyHandler>>();

  constructor(private readonly log: Logger) {}

  on<E extends LinkEventName>(event: E, handler: LinkHandler<E>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    const h = handler as AnyHandler;
    set.add(h);
    return () => set.delete(h);
  }

  emit<E extends LinkEventName>(event: E, value: LinkEvents[E]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) {
      try {
        const ret = (h as LinkHandler<E>)(value);
        if (ret instanceof Promise) ret.catch((err: unknown) => this.handlerFailed(event, err));
      } catch (err) {
        this.handlerFailed(event, err);
      }
    }
  }

  private handlerFailed(event: LinkEventName, err: unknown): void {
    this.log.error({ event, err }, `link handler for ${event} failed: ${errorMessage(err)}`);
  }
}

/** Routes one received message: validate, count what is dropped, emit what is good. */
export class LinkCore {
  readonly topics: Topics;
  readonly emitter: LinkEmitter;
  /** The retained status topic and its two payloads, encoded once: they do not change during a boot. */
  readonly statusTopic: string;
  readonly birthBytes: Buffer;
  readonly willBytes: Buffer;
  private readonly wanted = new Set<string>();
  private readonly invalid: LinkStats["invalid"] = { ack: 0, plan: 0, cmd: 0, timeRes: 0, media: 0, unknown: 0 };
  private unwantedChunks = 0;

  constructor(
    readonly id: LinkIdentity,
    private readonly log: Logger,
  ) {
    this.topics = createTopics(id.prefix);
    // Validates the device id too: createTopics' builders throw on an id that is not [A-Za-z0-9_-]{1,64}.
    this.statusTopic = this.topics.status(id.deviceId);
    // Fail at construction, not at the first connect, on a birth the schema would refuse.
    const { bootId, agentVersion, profile, startedAt } = id;
    const birth: StatusBirth = { online: true, bootId, agentVersion, profile, startedAt: isoOf(startedAt) };
    const will: StatusWill = { online: false, bootId };
    this.birthBytes = encodePayload("status", birth);
    this.willBytes = encodePayload("status", will);
    this.emitter = new LinkEmitter(log);
  }

  /** Every filter the device needs now: its own cloud→dev topics, plus one per wanted media file. */
  filters(): string[] {
    const own = INBOUND_KINDS.map((k) => this.topics.device(k, this.id.deviceId));
    return [...own, ...[...this.wanted].map((sha) => this.topics.mediaFilter(sha))];
  }

  /** Adds `sha256`; returns the filter to subscribe, or null if already wanted. Throws on a bad sha256. */
  want(sha256: string): string | null {
    const filter = this.topics.mediaFilter(sha256);
    if (this.wanted.has(sha256)) return null;
    this.wanted.add(sha256);
    return filter;
  }

  /** Removes `sha256`; returns the filter to unsubscribe, or null if it was not wanted. */
  unwant(sha256: string): string | null {
    if (!this.wanted.delete(sha256)) return null;
    return this.topics.mediaFilter(sha256);
  }

  stats(): Omit<LinkStats, "connects" | "pending"> {
    return { invalid: { ...this.invalid }, unwantedChunks: this.unwantedChunks };
  }

  /** ARCHITECTURE §3 rules: an invalid payload is dropped, counted and logged with its topic. */
  route(topic: string, payload: Buffer): void {
    const parsed = this.topics.parse(topic);
    if (!parsed) return this.drop({ kind: "unknown", topic, code: "invalid_topic", message: "topic is not ours" });
    if (parsed.kind === "media") return this.routeMedia(topic, parsed.sha256, parsed.index, payload);
    const kind = parsed.kind as InboundKind;
    if (parsed.deviceId !== this.id.deviceId || !INBOUND_KINDS.includes(kind)) {
      return this.drop({ kind: "unknown", topic, code: "invalid_topic", message: `not a ${this.id.deviceId} inbound topic` });
    }
    this.routeJson(kind, topic, payload);
  }

  private routeJson(kind: InboundKind, topic: string, payload: Buffer): void {
    const res = parsePayload(kind, payload);
    if (!res.ok) {
      const raw = res.error.code === "too_large" ? undefined : payload;
      return this.drop({ kind, topic, code: res.error.code, message: res.error.message, ...(raw ? { raw } : {}) });
    }
    // The kind and the value's type agree by construction of parsePayload.
    this.emitter.emit(kind, res.value as LinkEvents[typeof kind]);
  }

  private routeMedia(topic: string, sha256: string, index: number, data: Buffer): void {
    if (data.byteLength === 0 || data.byteLength > MAX_MEDIA_CHUNK_BYTES || !isSha256(sha256)) {
      const code = data.byteLength === 0 ? "invalid_payload" : "too_large";
      return this.drop({ kind: "media", topic, code, message: `media chunk of ${data.byteLength} bytes (1..${MAX_MEDIA_CHUNK_BYTES})` });
    }
    if (!this.wanted.has(sha256)) {
      // A QoS 1 chunk queued by the broker before we unsubscribed, or a filter left in a resumed session.
      this.unwantedChunks++;
      this.log.debug({ topic }, "media chunk not wanted, dropped");
      return;
    }
    this.emitter.emit("media", { sha256, index, data });
  }

  private drop(msg: InvalidMessage): void {
    this.invalid[msg.kind]++;
    this.log.warn({ topic: msg.topic, kind: msg.kind, code: msg.code }, `dropped invalid message on ${msg.topic}: ${msg.message}`);
    this.emitter.emit("invalid", msg);
  }
}
