/**
 * Routing of device messages to typed handlers (ARCHITECTURE §3 rules: "every payload except media chunks
 * is JSON validated by a shared zod schema; an invalid one is dropped, counted and logged with its topic,
 * never crashes a process"). No network here, so the rules are tested with plain buffers.
 */
import { parsePayload, type Clock, type PayloadOf, type Topics } from "@loa/shared";
import type { Logger } from "pino";

/** The dev→cloud kinds the cloud subscribes to. */
export const INBOUND_KINDS = ["status", "telemetry", "events", "cmdRes", "mediaReq", "timeReq"] as const;
export type InboundKind = (typeof INBOUND_KINDS)[number];

export interface InboundMeta {
  topic: string;
  /** A retained copy replayed at subscribe time, not a fresh message. */
  retained: boolean;
  /** Cloud clock (epoch ms) when the message arrived. */
  receivedAt: number;
}

export type InboundHandler<K extends InboundKind> = (deviceId: string, payload: PayloadOf<K>, meta: InboundMeta) => void | Promise<void>;
export type SeenHandler = (deviceId: string, meta: InboundMeta) => void;

export type PerKind = Record<InboundKind, number>;

export interface InboundCounters {
  /** Valid messages handed to handlers, by kind. */
  received: PerKind;
  /** Dropped: bad JSON, schema failure, too large, bad UTF-8 (by kind). */
  invalid: PerKind;
  /** Empty payloads (a retained message being cleared), ignored. */
  empty: number;
  /** Topics under our subscriptions that are not ours or not dev→cloud. */
  unknownTopic: number;
  /** Handlers that threw or rejected. */
  handlerErrors: number;
}

type HandlerSets = { [K in InboundKind]: Set<InboundHandler<K>> };

const zeroPerKind = (): PerKind => ({ status: 0, telemetry: 0, events: 0, cmdRes: 0, mediaReq: 0, timeReq: 0 });

export interface InboundRouterDeps {
  topics: Topics;
  clock: Clock;
  log: Logger;
}

export class InboundRouter {
  private readonly handlers: HandlerSets = {
    status: new Set(),
    telemetry: new Set(),
    events: new Set(),
    cmdRes: new Set(),
    mediaReq: new Set(),
    timeReq: new Set(),
  };
  private readonly seenHandlers = new Set<SeenHandler>();
  private readonly c: InboundCounters = { received: zeroPerKind(), invalid: zeroPerKind(), empty: 0, unknownTopic: 0, handlerErrors: 0 };

  constructor(private readonly deps: InboundRouterDeps) {}

  /** Add a handler for one kind; several may share a kind. Returns the function that removes it. */
  on<K extends InboundKind>(kind: K, handler: InboundHandler<K>): () => void {
    const set: Set<InboundHandler<K>> = this.handlers[kind];
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called for every fresh (not retained) message on a device topic, valid or not: the device is alive. */
  onSeen(handler: SeenHandler): () => void {
    this.seenHandlers.add(handler);
    return () => this.seenHandlers.delete(handler);
  }

  counters(): InboundCounters {
    return { ...this.c, received: { ...this.c.received }, invalid: { ...this.c.invalid } };
  }

  /** One incoming message. Never throws. */
  dispatch(topic: string, payload: Buffer, retained: boolean): void {
    const meta: InboundMeta = { topic, retained, receivedAt: this.deps.clock.now() };
    const parsed = this.deps.topics.parse(topic);
    const kind = parsed && parsed.kind !== "media" && isInbound(parsed.kind) ? parsed.kind : undefined;
    if (!parsed || parsed.kind === "media" || !kind) {
      this.c.unknownTopic++;
      this.deps.log.warn({ topic }, "message on an unexpected topic dropped");
      return;
    }
    if (!retained) this.notifySeen(parsed.deviceId, meta);
    if (payload.length === 0) {
      this.c.empty++;
      return;
    }
    this.deliver(kind, parsed.deviceId, payload, meta);
  }

  private deliver<K extends InboundKind>(kind: K, deviceId: string, payload: Buffer, meta: InboundMeta): void {
    const result = parsePayload(kind, payload);
    if (!result.ok) {
      this.c.invalid[kind]++;
      this.deps.log.warn({ topic: meta.topic, deviceId, code: result.error.code, error: result.error.message }, "invalid payload dropped");
      return;
    }
    this.c.received[kind]++;
    const set: Set<InboundHandler<K>> = this.handlers[kind];
    for (const handler of set) this.call(() => handler(deviceId, result.value, meta), meta);
  }

  private call(run: () => void | Promise<void>, meta: InboundMeta): void {
    const failed = (err: unknown): void => {
      this.c.handlerErrors++;
      this.deps.log.error({ err, topic: meta.topic }, "message handler failed");
    };
    let out: void | Promise<void>;
    try {
      out = run();
    } catch (err) {
      failed(err);
      return;
    }
    if (out instanceof Promise) out.catch(failed);
  }

  private notifySeen(deviceId: string, meta: InboundMeta): void {
    for (const h of this.seenHandlers) {
      try {
        h(deviceId, meta);
      } catch (err) {
        this.c.handlerErrors++;
        this.deps.log.error({ err, topic: meta.topic }, "seen handler failed");
      }
    }
  }
}

function isInbound(kind: string): kind is InboundKind {
  return (INBOUND_KINDS as readonly string[]).includes(kind);
}
