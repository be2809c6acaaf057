import { DEVICE_ID_RE, SHA256_RE } from "./common.js";
import { ProtocolError } from "./errors.js";
import { LIMITS } from "./limits.js";

/** ARCHITECTURE §3: topic levels after `<prefix>/dev/{id}/` for each per-device kind. */
export const DEVICE_TOPIC_SUFFIX = {
  status: "status",
  telemetry: "telemetry",
  events: "events",
  ack: "ack",
  plan: "plan",
  cmd: "cmd",
  cmdRes: "cmd/res",
  mediaReq: "media/req",
  timeReq: "time/req",
  timeRes: "time/res",
} as const;

export type DeviceTopicKind = keyof typeof DEVICE_TOPIC_SUFFIX;
/** `media` is the shared chunk topic `<prefix>/media/{sha256}/{index}` (raw bytes, not JSON). */
export type TopicKind = DeviceTopicKind | "media";

export type Direction = "dev→cloud" | "cloud→dev" | "cloud→devs";

export interface TopicSpec {
  readonly dir: Direction;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/** The table of ARCHITECTURE §3: direction, QoS and retain flag of every topic kind. */
export const TOPIC_SPECS: Readonly<Record<TopicKind, TopicSpec>> = {
  status: { dir: "dev→cloud", qos: 1, retain: true },
  telemetry: { dir: "dev→cloud", qos: 0, retain: false },
  events: { dir: "dev→cloud", qos: 1, retain: false },
  ack: { dir: "cloud→dev", qos: 1, retain: false },
  plan: { dir: "cloud→dev", qos: 1, retain: true },
  cmd: { dir: "cloud→dev", qos: 1, retain: false },
  cmdRes: { dir: "dev→cloud", qos: 1, retain: false },
  mediaReq: { dir: "dev→cloud", qos: 1, retain: false },
  media: { dir: "cloud→devs", qos: 1, retain: false },
  timeReq: { dir: "dev→cloud", qos: 0, retain: false },
  timeRes: { dir: "cloud→dev", qos: 0, retain: false },
};

export const DEVICE_TOPIC_KINDS = Object.keys(DEVICE_TOPIC_SUFFIX) as DeviceTopicKind[];
/** Kinds a device publishes. */
export const DEV_TO_CLOUD_KINDS = DEVICE_TOPIC_KINDS.filter((k) => TOPIC_SPECS[k].dir === "dev→cloud");
/** Per-device kinds a device subscribes to. */
export const CLOUD_TO_DEV_KINDS = DEVICE_TOPIC_KINDS.filter((k) => TOPIC_SPECS[k].dir === "cloud→dev");

export const DEFAULT_PREFIX = "loa/v1";

export type ParsedTopic =
  | { kind: DeviceTopicKind; deviceId: string }
  | { kind: "media"; sha256: string; index: number };

export interface Topics {
  readonly prefix: string;
  status(deviceId: string): string;
  telemetry(deviceId: string): string;
  events(deviceId: string): string;
  ack(deviceId: string): string;
  plan(deviceId: string): string;
  cmd(deviceId: string): string;
  cmdRes(deviceId: string): string;
  mediaReq(deviceId: string): string;
  timeReq(deviceId: string): string;
  timeRes(deviceId: string): string;
  /** Any per-device kind by name. */
  device(kind: DeviceTopicKind, deviceId: string): string;
  /** One chunk of one media file. */
  media(sha256: string, index: number): string;
  /** Filter for every chunk of one file (`.../media/<sha>/+`), or of all files (`.../media/+/+`). */
  mediaFilter(sha256?: string): string;
  /** Filter for one kind from every device, e.g. `loa/v1/dev/+/status`. */
  allDevices(kind: DeviceTopicKind): string;
  /** `{kind, deviceId}` or `{kind:"media", sha256, index}`; null for anything not ours. */
  parse(topic: string): ParsedTopic | null;
}

const SUFFIX_TO_KIND = new Map<string, DeviceTopicKind>(DEVICE_TOPIC_KINDS.map((k) => [DEVICE_TOPIC_SUFFIX[k], k]));
const PREFIX_RE = /^[^+#/\u0000$][^+#/\u0000]*(\/[^+#/\u0000]+)*$/;
const INDEX_RE = /^(0|[1-9][0-9]*)$/;

export function isDeviceId(id: string): boolean {
  return DEVICE_ID_RE.test(id);
}

export function isSha256(s: string): boolean {
  return SHA256_RE.test(s);
}

/** Decimal chunk index without leading zeros, below the chunk limit; null otherwise. */
export function parseChunkIndex(level: string): number | null {
  if (level.length > 6 || !INDEX_RE.test(level)) return null;
  const n = Number(level);
  return n < LIMITS.missingChunks ? n : null;
}

export function isChunkIndex(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < LIMITS.missingChunks;
}

/** A prefix is one or more non-empty levels, no wildcards, not a `$` system topic. */
export function assertPrefix(prefix: string): void {
  if (!isTopicPrefix(prefix)) {
    throw new ProtocolError("invalid_topic", `invalid topic prefix ${JSON.stringify(prefix)}`, { prefix });
  }
}

/** The boolean form of {@link assertPrefix}, for config schemas. */
export function isTopicPrefix(prefix: string): boolean {
  return prefix.length <= 128 && PREFIX_RE.test(prefix);
}

const MQTT_PROTOCOLS = new Set(["mqtt:", "mqtts:", "tcp:", "tls:", "ssl:", "ws:", "wss:"]);

/** A broker URL mqtt.js can dial: one of its schemes and a host. */
export function isMqttUrl(url: string): boolean {
  return URL.canParse(url) && MQTT_PROTOCOLS.has(new URL(url).protocol) && new URL(url).hostname !== "";
}

function checkedId(deviceId: string): string {
  if (!isDeviceId(deviceId)) {
    throw new ProtocolError("invalid_topic", `invalid device id ${JSON.stringify(deviceId)}`, { deviceId });
  }
  return deviceId;
}

/** Topic builders and the parser for one prefix (ARCHITECTURE §3, prefix `loa/v1` by default). */
export function createTopics(prefix: string = DEFAULT_PREFIX): Topics {
  assertPrefix(prefix);
  const device = (kind: DeviceTopicKind, id: string): string => `${prefix}/dev/${checkedId(id)}/${DEVICE_TOPIC_SUFFIX[kind]}`;
  return {
    prefix,
    device,
    status: (id) => device("status", id),
    telemetry: (id) => device("telemetry", id),
    events: (id) => device("events", id),
    ack: (id) => device("ack", id),
    plan: (id) => device("plan", id),
    cmd: (id) => device("cmd", id),
    cmdRes: (id) => device("cmdRes", id),
    mediaReq: (id) => device("mediaReq", id),
    timeReq: (id) => device("timeReq", id),
    timeRes: (id) => device("timeRes", id),
    media: (sha256, index) => {
      if (!isSha256(sha256) || !isChunkIndex(index)) {
        throw new ProtocolError("invalid_topic", `invalid media chunk ${sha256}/${index}`, { sha256, index });
      }
      return `${prefix}/media/${sha256}/${index}`;
    },
    mediaFilter: (sha256) => {
      if (sha256 !== undefined && !isSha256(sha256)) {
        throw new ProtocolError("invalid_topic", `invalid sha256 ${JSON.stringify(sha256)}`, { sha256 });
      }
      return `${prefix}/media/${sha256 ?? "+"}/+`;
    },
    allDevices: (kind) => `${prefix}/dev/+/${DEVICE_TOPIC_SUFFIX[kind]}`,
    parse: (topic) => parseTopic(prefix, topic),
  };
}

function parseTopic(prefix: string, topic: string): ParsedTopic | null {
  if (topic.length > 512 || !topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split("/");
  const [head, a, b, ...rest] = levels;
  if (head === "media" && a !== undefined && b !== undefined && rest.length === 0) {
    const index = parseChunkIndex(b);
    return isSha256(a) && index !== null ? { kind: "media", sha256: a, index } : null;
  }
  if (head === "dev" && a !== undefined && b !== undefined && isDeviceId(a)) {
    const kind = SUFFIX_TO_KIND.get([b, ...rest].join("/"));
    return kind ? { kind, deviceId: a } : null;
  }
  return null;
}
