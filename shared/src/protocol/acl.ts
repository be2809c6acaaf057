import {
  CLOUD_TO_DEV_KINDS,
  DEFAULT_PREFIX,
  DEV_TO_CLOUD_KINDS,
  DEVICE_TOPIC_SUFFIX,
  assertPrefix,
  createTopics,
  isDeviceId,
  isSha256,
  parseChunkIndex,
  type DeviceTopicKind,
  type Topics,
} from "./topics.js";

/**
 * ARCHITECTURE §3 Auth as one pure rule, used by the embedded broker's hooks and mirrored by the Mosquitto
 * ACL below. MQTT username = device id. A device publishes only its own dev→cloud topics and subscribes only
 * to its own cloud→dev topics and the shared media chunks; a filter whose wildcards could reach anything
 * else is denied. The cloud user may do anything under the prefix.
 */
export type AccessAction = "publish" | "subscribe";

export interface AccessOptions {
  /** Topic prefix, default `loa/v1`. */
  prefix?: string;
  /** MQTT username of the cloud itself, default `loa-cloud`. Never give a device this id. */
  cloudUser?: string;
}

export const DEFAULT_CLOUD_USER = "loa-cloud";
const MAX_TOPIC_LENGTH = 1024;

const topicsCache = new Map<string, Topics>();
function topicsFor(prefix: string): Topics {
  let t = topicsCache.get(prefix);
  if (!t) {
    t = createTopics(prefix);
    topicsCache.set(prefix, t);
  }
  return t;
}

export function isAllowed(username: string, action: AccessAction, topic: string, opts: AccessOptions = {}): boolean {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const cloudUser = opts.cloudUser ?? DEFAULT_CLOUD_USER;
  if (!isWellFormed(action, topic)) return false;
  if (username === cloudUser) return isUnderPrefix(prefix, topic);
  if (!isDeviceId(username)) return false;
  const topics = topicsFor(prefix);
  if (action === "publish") return isOwn(topics, topic, username, DEV_TO_CLOUD_KINDS);
  return isOwn(topics, topic, username, CLOUD_TO_DEV_KINDS) || isMediaFilter(prefix, topic);
}

/** MQTT §4.7: no empty topic, no NUL, wildcards only as whole levels (`#` last), none when publishing. */
function isWellFormed(action: AccessAction, topic: string): boolean {
  if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH || topic.includes("\u0000")) return false;
  const levels = topic.split("/");
  return levels.every((level, i) => {
    if (!level.includes("+") && !level.includes("#")) return true;
    if (action === "publish") return false;
    return level === "+" || (level === "#" && i === levels.length - 1);
  });
}

/** Publish topic or filter whose levels after the literal prefix could only match topics under it. */
function isUnderPrefix(prefix: string, topic: string): boolean {
  return topic.startsWith(`${prefix}/`) && topic.length > prefix.length + 1;
}

/** A concrete (wildcard-free) per-device topic of one of `kinds`, belonging to `deviceId`. */
function isOwn(topics: Topics, topic: string, deviceId: string, kinds: readonly DeviceTopicKind[]): boolean {
  if (topic.includes("+") || topic.includes("#")) return false;
  const parsed = topics.parse(topic);
  return parsed !== null && parsed.kind !== "media" && parsed.deviceId === deviceId && kinds.includes(parsed.kind);
}

/** `<prefix>/media/{sha256|+}/{index|+}`: only ever matches media chunks. */
function isMediaFilter(prefix: string, filter: string): boolean {
  if (!filter.startsWith(`${prefix}/media/`)) return false;
  const levels = filter.slice(prefix.length + "/media/".length).split("/");
  const [sha, index, ...rest] = levels;
  if (sha === undefined || index === undefined || rest.length > 0) return false;
  return (sha === "+" || isSha256(sha)) && (index === "+" || parseChunkIndex(index) !== null);
}

/**
 * The same rule as Mosquitto `acl_file` lines (`%u` = username), for an external broker (ARCHITECTURE §3, §4).
 * `pattern` lines apply to every user; the cloud user gets the whole prefix. Mosquitto 2.0 accepts any
 * SUBSCRIBE and withholds unreadable messages at delivery, where isAllowed refuses the filter outright: what
 * a device can receive or send is the same.
 */
export function mosquittoAclLines(opts: AccessOptions = {}): string[] {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const cloudUser = opts.cloudUser ?? DEFAULT_CLOUD_USER;
  assertPrefix(prefix);
  return [
    "# Loa MQTT access rules (ARCHITECTURE §3 Auth). Username = device id.",
    "# Devices: publish own dev->cloud topics, read own cloud->dev topics and shared media chunks.",
    ...DEV_TO_CLOUD_KINDS.map((k) => `pattern write ${prefix}/dev/%u/${DEVICE_TOPIC_SUFFIX[k]}`),
    ...CLOUD_TO_DEV_KINDS.map((k) => `pattern read ${prefix}/dev/%u/${DEVICE_TOPIC_SUFFIX[k]}`),
    `pattern read ${prefix}/media/+/+`,
    "",
    "# The cloud: everything under the prefix.",
    `user ${cloudUser}`,
    `topic readwrite ${prefix}/#`,
  ];
}

export function mosquittoAclText(opts: AccessOptions = {}): string {
  return `${mosquittoAclLines(opts).join("\n")}\n`;
}
