/**
 * Receiver configuration (ARCHITECTURE §3 auth, §9 `loa-edge --config edge.json`): the edge.json the cloud's
 * provisioning returns (`{deviceId, token, mqttUrl, prefix, profile, tz}`) plus local settings, each
 * overridable by an environment variable `LOA_EDGE_<KEY>` (see ENV_VARS and docs/edge-config.md).
 * Validated with one zod schema; every problem is reported at once with its key, as zigbee2mqtt does.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_PREFIX, DEFAULT_TZ, DeviceId, LoaError, ProfileId, formatPath, isKnownZone, isMqttUrl, isTopicPrefix } from "@loa/shared";

export interface EdgeConfig {
  deviceId: string;
  token: string;
  mqttUrl: string;
  prefix: string;
  /** Amplifier profile id in use (amp.profile, else the provisioned profile, else loa-amp-v1). */
  profile: string;
  /** IANA zone of the receiver's area (logs and local display only; the plan is in UTC). */
  tz: string;
  dataDir: string;
  amp: { transport: "serial" | "none"; port: string; profile: string; unitId: number; baud: number };
  sink: { type: "alsa" | "file" | "null"; fileDir: string; alsaDevice?: string };
  defaultVolume: number;
  idleOffS: number;
  telemetryIntervalS: number;
  /** How late a play may still start (seconds after its `at`). */
  graceS: number;
  cacheMaxBytes: number;
  outboxMaxEvents: number;
  reconnect: { minMs: number; maxMs: number; stableMs: number };
  timeSyncIntervalS: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export interface ConfigIssue {
  /** Dotted key, with the environment variable when the value came from there: `defaultVolume (LOA_EDGE_DEFAULT_VOLUME)`. */
  key: string;
  message: string;
}

export class ConfigError extends LoaError {
  declare readonly code: "config_invalid" | "config_unreadable";
  readonly issues: ConfigIssue[];

  constructor(code: "config_invalid" | "config_unreadable", source: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.key}: ${i.message}`).join("\n");
    super(code, `invalid configuration (${source}):\n${lines}`, { issues });
    this.issues = issues;
  }
}

export interface LoadedConfig {
  config: EdgeConfig;
  /** Unknown keys and unknown LOA_EDGE_* variables: probably typos, ignored. */
  warnings: string[];
}

type Kind = "string" | "number" | "size";
/** Every setting: its path in edge.json and how an environment string is read. */
const SETTINGS: readonly (readonly [string, Kind])[] = [
  ["deviceId", "string"], ["token", "string"], ["mqttUrl", "string"], ["prefix", "string"], ["profile", "string"],
  ["tz", "string"], ["dataDir", "string"], ["serialPort", "string"],
  ["amp.transport", "string"], ["amp.port", "string"], ["amp.profile", "string"], ["amp.unitId", "number"], ["amp.baud", "number"],
  ["sink.type", "string"], ["sink.fileDir", "string"], ["sink.alsaDevice", "string"],
  ["defaultVolume", "number"], ["idleOffS", "number"], ["telemetryIntervalS", "number"], ["graceS", "number"],
  ["cacheMaxBytes", "size"], ["outboxMaxEvents", "number"],
  ["reconnect.minMs", "number"], ["reconnect.maxMs", "number"], ["reconnect.stableMs", "number"],
  ["timeSyncIntervalS", "number"], ["logLevel", "string"],
];

/** `LOA_EDGE_` + the path in SCREAMING_SNAKE (`reconnect.minMs` → `LOA_EDGE_RECONNECT_MIN_MS`); `sink.type` is `LOA_EDGE_SINK`. */
export function envNameOf(path: string): string {
  const p = path === "sink.type" ? "sink" : path;
  return `LOA_EDGE_${p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/\./g, "_").toUpperCase()}`;
}

/** Environment variable → setting path, e.g. `LOA_EDGE_MQTT_URL` → `mqttUrl`. */
export const ENV_VARS: ReadonlyMap<string, string> = new Map(SETTINGS.map(([path]) => [envNameOf(path), path]));

const MIB = 1024 * 1024;
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: MIB, g: 1e9, gb: 1e9, gib: 1024 * MIB };

/** `536870912`, `"512MiB"`, `"2 GB"` → bytes; anything else is left for the schema to refuse. */
export function parseSize(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = SIZE_UNITS[(m?.[2] ?? "").toLowerCase()];
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : v;
}

const str = (what: string) => z.string({ error: (i) => (i.input === undefined ? `required: ${what}` : `expected ${what}`) });
const whole = (min: number, max: number) =>
  z
    .number({ error: (i) => (i.input === undefined ? "required" : "expected a whole number") })
    .int("expected a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);


const Schema = z.object({
  deviceId: str("the device id from provisioning").pipe(DeviceId),
  token: str("the device token from provisioning").min(1, "must not be empty"),
  mqttUrl: str("a URL like mqtt://host:1883").refine(isMqttUrl, "expected a URL like mqtt://host:1883"),
  prefix: str("an MQTT topic prefix").refine(isTopicPrefix, "expected a topic prefix like loa/v1").default(DEFAULT_PREFIX),
  profile: ProfileId.optional(),
  tz: str("an IANA time zone").refine(isKnownZone, "expected an IANA time zone like Asia/Ho_Chi_Minh").default(DEFAULT_TZ),
  dataDir: str("a directory").min(1).default("/var/lib/loa"),
  serialPort: str("a serial device path").min(1).optional(),
  amp: z
    .object({
      transport: z.enum(["serial", "none"], "expected serial or none").default("serial"),
      port: str("a serial device path").min(1).optional(),
      profile: ProfileId.optional(),
      unitId: whole(1, 247).default(1),
      baud: whole(300, 1_000_000).default(9600),
    }, "expected an object")
    .prefault({}),
  sink: z
    .object({
      type: z.enum(["alsa", "file", "null"], "expected alsa, file or null").default("alsa"),
      fileDir: str("a directory").min(1).optional(),
      alsaDevice: str("an ALSA device name").min(1).optional(),
    }, "expected an object or one of alsa, file, null")
    .prefault({}),
  defaultVolume: whole(0, 100).default(70),
  idleOffS: whole(0, 86_400).default(60),
  telemetryIntervalS: whole(5, 3600).default(30),
  graceS: whole(0, 3600).default(60),
  cacheMaxBytes: z.preprocess(parseSize, whole(16 * MIB, 2 ** 50)).default(512 * MIB),
  outboxMaxEvents: whole(100, 10_000_000).default(10_000),
  reconnect: z
    .object({ minMs: whole(100, 600_000).default(1000), maxMs: whole(100, 3_600_000).default(60_000), stableMs: whole(0, 3_600_000).default(30_000) }, "expected an object")
    .prefault({})
    .refine((r) => r.minMs <= r.maxMs, { message: "minMs must not exceed maxMs", path: ["maxMs"] }),
  timeSyncIntervalS: whole(10, 86_400).default(600),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "expected one of fatal, error, warn, info, debug, trace, silent").default("info"),
});

/**
 * Validate a parsed edge.json (`raw`) with `env` overrides applied. Relative paths (dataDir, sink.fileDir)
 * are resolved against `baseDir` (the config file's directory). Throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, env: Record<string, string | undefined> = {}, opts: { baseDir?: string; source?: string } = {}): LoadedConfig {
  const source = opts.source ?? "edge.json";
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError("config_invalid", source, [{ key: "(root)", message: "expected a JSON object" }]);
  }
  const warnings = unknownKeys(raw as Record<string, unknown>);
  const merged = structuredClone(raw) as Record<string, unknown>;
  if (typeof merged.sink === "string") merged.sink = { type: merged.sink };
  const fromEnv = applyEnv(merged, env, warnings);
  const res = Schema.safeParse(merged);
  if (!res.success) {
    const issues = res.error.issues.map((i) => {
      const key = formatPath(i.path);
      const envName = fromEnv.get(key);
      return { key: envName ? `${key} (${envName})` : key, message: i.message };
    });
    throw new ConfigError("config_invalid", source, issues);
  }
  return { config: normalize(res.data, opts.baseDir ?? process.cwd(), source), warnings };
}

/** Read and validate `path` (edge.json) with `env` overrides; `path` undefined = environment only. */
export async function loadConfig(path: string | undefined, env: Record<string, string | undefined> = process.env): Promise<LoadedConfig> {
  if (path === undefined) return parseConfig({}, env, { source: "environment" });
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError("config_unreadable", path, [{ key: "(file)", message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new ConfigError("config_invalid", path, [{ key: "(file)", message: `not JSON: ${(err as Error).message}` }]);
  }
  return parseConfig(raw, env, { baseDir: dirname(resolve(path)), source: path });
}

type Parsed = z.infer<typeof Schema>;

function normalize(c: Parsed, baseDir: string, source: string): EdgeConfig {
  if (c.serialPort && c.amp.port && c.serialPort !== c.amp.port) {
    throw new ConfigError("config_invalid", source, [{ key: "serialPort", message: `conflicts with amp.port (${c.amp.port}); give one of them` }]);
  }
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dataDir = abs(c.dataDir);
  const profile = c.amp.profile ?? c.profile ?? "loa-amp-v1";
  const { serialPort, amp, sink, ...rest } = c;
  return {
    ...rest,
    profile,
    dataDir,
    amp: { transport: amp.transport, port: amp.port ?? serialPort ?? "/dev/ttyUSB0", profile, unitId: amp.unitId, baud: amp.baud },
    sink: { type: sink.type, fileDir: abs(sink.fileDir ?? resolve(dataDir, "capture")), ...(sink.alsaDevice ? { alsaDevice: sink.alsaDevice } : {}) },
  };
}

/** Sets each LOA_EDGE_* value at its path (numbers converted); returns path → variable name for messages. */
function applyEnv(target: Record<string, unknown>, env: Record<string, string | undefined>, warnings: string[]): Map<string, string> {
  const used = new Map<string, string>();
  const kinds = new Map(SETTINGS);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("LOA_EDGE_") || value === undefined) continue;
    const path = ENV_VARS.get(name);
    if (!path) {
      warnings.push(`unknown environment variable ${name} ignored`);
      continue;
    }
    const kind = kinds.get(path);
    const v = kind === "number" && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    setPath(target, path.split("."), v);
    used.set(path, name);
  }
  return used;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  const [head, ...rest] = keys;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = target[head];
  const obj = child !== null && typeof child === "object" && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
  target[head] = obj;
  setPath(obj, rest, value);
}

function unknownKeys(raw: Record<string, unknown>): string[] {
  const known = new Set(SETTINGS.map(([p]) => p));
  const out: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    const nested = v !== null && typeof v === "object" && !Array.isArray(v) && ["amp", "sink", "reconnect"].includes(k);
    if (nested) {
      for (const sub of Object.keys(v)) if (!known.has(`${k}.${sub}`)) out.push(`unknown key ${k}.${sub} ignored`);
    } else if (!known.has(k) && !(k === "sink" && typeof v === "string") && !["amp", "reconnect"].includes(k)) {
      out.push(`unknown key ${k} ignored`);
    }
  }
  return out;
}
