/**
 * The receiver's MQTT link as its logic sees it (ARCHITECTURE §3). The real adapter is `MqttJsLink`
 * (adapters/mqtt, the only code touching mqtt.js); tests use `MemoryLink` (testing/memory-link.ts). Both pass
 * the same contract suite (testing/link-contract.ts).
 *
 * The link owns the `status` topic: it publishes the retained birth on every (re)connect and the will
 * payload on a clean stop. Everything that arrives is validated with the shared schemas before a handler
 * sees it; invalid messages are dropped, counted per kind and logged with their topic.
 */
import {
  LoaError,
  type AckPayload,
  type CmdPayload,
  type PayloadOf,
  type PlanPayload,
  type TimeResPayload,
} from "@loa/shared";

/** What the receiver publishes through `publish` (the link itself owns `status`). */
export type OutboundKind = "telemetry" | "events" | "cmdRes" | "mediaReq" | "timeReq";
/** Per-device JSON kinds the receiver subscribes to. */
export type InboundKind = "ack" | "plan" | "cmd" | "timeRes";
export const INBOUND_KINDS: readonly InboundKind[] = ["ack", "plan", "cmd", "timeRes"];

/** One media chunk: raw bytes from `<prefix>/media/{sha256}/{index}` (bounded by size only). */
export interface MediaChunk {
  sha256: string;
  index: number;
  data: Buffer;
}

/** Why a message was dropped (see `LinkStats.invalid`). */
export interface InvalidMessage {
  /** The inbound kind, `media`, or `unknown` for a topic that is none of ours. */
  kind: InboundKind | "media" | "unknown";
  topic: string;
  /** ProtocolError code (too_large, invalid_utf8, invalid_json, invalid_payload) or invalid_topic. */
  code: string;
  message: string;
  /** The raw bytes when they were small enough to parse (absent for too_large). */
  raw?: Buffer;
}

export interface LinkEvents {
  ack: AckPayload;
  plan: PlanPayload;
  cmd: CmdPayload;
  timeRes: TimeResPayload;
  media: MediaChunk;
  /** Connected, subscribed and birth sent: the outbox may (re)send now. */
  online: { bootId: string; connects: number };
  /** The connection is gone (emitted once per loss, not per failed reconnect attempt). */
  offline: { reason: string };
  /** A reconnect is scheduled after `delayMs` (full-jitter backoff, attempt counts from 0). */
  reconnecting: { attempt: number; delayMs: number };
  invalid: InvalidMessage;
}
export type LinkEventName = keyof LinkEvents;
/** A handler may be async: its rejection is caught and logged, never thrown into the link. */
export type LinkHandler<E extends LinkEventName> = (event: LinkEvents[E]) => void | Promise<void>;

export interface PublishOptions {
  /**
   * What to do while offline. Default: QoS 1 kinds are queued (sent after reconnect, the promise resolves on
   * PUBACK); QoS 0 kinds (telemetry, timeReq) are refused with LinkError `offline`, since they would be stale.
   */
  whenOffline?: "queue" | "reject";
}

export interface LinkStats {
  /** Messages dropped as invalid, per kind (`unknown` = topic not ours). */
  invalid: Record<InvalidMessage["kind"], number>;
  /** Valid media chunks dropped because their sha256 is not wanted (late QoS 1 deliveries). */
  unwantedChunks: number;
  /** Successful connects since start. */
  connects: number;
  /** QoS 1 publishes waiting for PUBACK (or for the connection). */
  pending: number;
}

export interface Link {
  readonly deviceId: string;
  /** New random id per agent start; pairs the birth with its will. */
  readonly bootId: string;
  readonly online: boolean;
  /** Begin connecting; resolves at once (the receiver works offline), watch `online`. */
  start(): Promise<void>;
  /** Publish the will payload `{online:false, bootId}` ourselves if connected, then disconnect. */
  stop(): Promise<void>;
  /**
   * Validate (encodePayload) and publish with the topic's QoS and retain flag from TOPIC_SPECS. Rejects
   * with ProtocolError for a bad payload (our bug) and LinkError (`offline`, `queue_full`, `link_stopped`,
   * `publish_failed`).
   */
  publish<K extends OutboundKind>(kind: K, payload: PayloadOf<K>, opts?: PublishOptions): Promise<void>;
  /**
   * Subscribe to the chunks of one file (`<prefix>/media/<sha256>/+`) until `unwantMedia`; idempotent, kept
   * across reconnects. Throws ProtocolError `invalid_topic` for a sha256 that is not 64 lowercase hex.
   */
  wantMedia(sha256: string): void;
  unwantMedia(sha256: string): void;
  /** Register a handler; returns the function that removes it. */
  on<E extends LinkEventName>(event: E, handler: LinkHandler<E>): () => void;
  stats(): LinkStats;
}

export type LinkErrorCode = "offline" | "queue_full" | "link_stopped" | "publish_failed";

export class LinkError extends LoaError {
  declare readonly code: LinkErrorCode;

  constructor(code: LinkErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
