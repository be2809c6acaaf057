/**
 * Settings of the cloud process (ARCHITECTURE §7 "Settings", §4, §9 `loa-cloud`): each from the
 * environment or from a command-line flag of the same meaning (the flag wins), validated with one zod
 * schema; every problem is reported at once, named by the variable or flag it came from (docs/cloud.md).
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_PREFIX, DEFAULT_TZ, LoaError, isKnownZone, isMqttUrl, isTopicPrefix } from "@loa/shared";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface CloudConfig {
  /** HTTP (panel, REST, SSE, /metrics); 0 = any free port. */
  httpPort: number;
  /** Bind address of the HTTP server and the embedded broker. */
  host: string;
  /** Embedded broker, MQTT over TCP; 0 = any free port. Ignored with `mqttUrl`. */
  mqttPort: number;
  /** Embedded broker, MQTT over WebSocket; null = no WebSocket listener. */
  mqttWsPort: number | null;
  /** Absolute. */
  dataDir: string;
  /** External broker (ARCHITECTURE §4): then nothing is embedded and the cloud logs in as `loa-cloud`. */
  mqttUrl: string | null;
  /** The cloud's own MQTT password: required with `mqttUrl`; random per start for the embedded broker when null. */
  mqttCloudPassword: string | null;
  mqttPrefix: string;
  adminPassword: string | null;
  tz: string;
  /** What provisioned edge configs say (null = derived from the host and the bound MQTT port at start). */
  publicMqttUrl: string | null;
  maxUploadMb: number;
  maxDurationS: number;
  /** How long a device has to run a remote command before it expires. */
  commandTtlS: number;
  /** Express `trust proxy` (a reverse proxy in front): false, true, or a hop count. */
  trustProxy: boolean | number;
  logLevel: LogLevel;
}

/** One setting: its config key, environment variable and flag. */
export interface SettingSpec {
  key: keyof CloudConfig;
  env: string;
  flag: string;
  help: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  { key: "httpPort", env: "LOA_HTTP_PORT", flag: "--http-port", help: "HTTP port (panel, REST, SSE, /metrics); 0 = any free port. Default 8080" },
  { key: "host", env: "LOA_HOST", flag: "--host", help: "bind address for HTTP and the embedded broker. Default 0.0.0.0" },
  { key: "mqttPort", env: "LOA_MQTT_PORT", flag: "--mqtt-port", help: "embedded broker MQTT/TCP port; 0 = any free port. Default 1883" },
  { key: "mqttWsPort", env: "LOA_MQTT_WS_PORT", flag: "--mqtt-ws-port", help: "embedded broker MQTT/WebSocket port; off = none. Default 9001" },
  { key: "dataDir", env: "LOA_DATA_DIR", flag: "--data-dir", help: "catalogue, journal and media. Default ./data" },
  { key: "mqttUrl", env: "MQTT_URL", flag: "--mqtt-url", help: "external broker (mqtt://host:1883); then nothing is embedded" },
  { key: "mqttCloudPassword", env: "LOA_MQTT_CLOUD_PASSWORD", flag: "--mqtt-cloud-password", help: "the cloud's MQTT password (16+ chars); required with MQTT_URL" },
  { key: "mqttPrefix", env: "LOA_MQTT_PREFIX", flag: "--mqtt-prefix", help: "MQTT topic prefix. Default loa/v1" },
  { key: "adminPassword", env: "LOA_ADMIN_PASSWORD", flag: "--admin-password", help: "password of the first admin (first start only); generated and printed once when unset" },
  { key: "tz", env: "LOA_TZ", flag: "--tz", help: "default IANA zone. Default Asia/Ho_Chi_Minh" },
  { key: "publicMqttUrl", env: "LOA_PUBLIC_MQTT_URL", flag: "--public-mqtt-url", help: "MQTT URL written into provisioned edge.json. Default mqtt://<host>:<mqtt port>" },
  { key: "maxUploadMb", env: "LOA_MAX_UPLOAD_MB", flag: "--max-upload-mb", help: "largest audio upload, MB. Default 50" },
  { key: "maxDurationS", env: "LOA_MAX_DURATION_S", flag: "--max-duration-s", help: "longest bulletin, seconds. Default 1800" },
  { key: "commandTtlS", env: "LOA_COMMAND_TTL_S", flag: "--command-ttl-s", help: "seconds a remote command stays valid. Default 120" },
  { key: "trustProxy", env: "LOA_TRUST_PROXY", flag: "--trust-proxy", help: "behind a reverse proxy: true, false or a hop count. Default false" },
  { key: "logLevel", env: "LOA_LOG_LEVEL", flag: "--log-level", help: "fatal, error, warn, info, debug, trace or silent. Default info" },
];

export interface ConfigIssue {
  /** The variable or flag the value came from (`LOA_HTTP_PORT`, `--http-port`), or both when it was missing. */
  key: string;
  message: string;
}

export class CloudConfigError extends LoaError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super("config_invalid", `invalid configuration:\n${issues.map((i) => `  ${i.key}: ${i.message}`).join("\n")}`, { issues });
    this.issues = issues;
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A whole number from an environment string; anything else stays a string for the schema to refuse. */
const int = (min: number, max: number, what: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: () => `expected ${what}` }).int(`expected ${what}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
const port = int(0, 65_535, "a port number 0-65535");
const optionalText = z.string().transform((s) => (s.trim() === "" ? null : s)).nullable().default(null);

const Schema = z.object({
  httpPort: port.default(8080),
  host: z.string().min(1, "must not be empty").default("0.0.0.0"),
  mqttPort: port.default(1883),
  mqttWsPort: z.preprocess((v) => (typeof v === "string" && /^(off|none|false|no|)$/i.test(v.trim()) ? null : v), port.nullable()).default(9001),
  dataDir: z.string().min(1, "must not be empty").default("./data"),
  mqttUrl: optionalText.refine((v) => v === null || isMqttUrl(v), "expected a URL like mqtt://broker.example.vn:1883"),
  mqttCloudPassword: optionalText.refine((v) => v === null || v.length >= 16, "must have at least 16 characters"),
  mqttPrefix: z.string().refine(isTopicPrefix, "expected a topic prefix like loa/v1").default(DEFAULT_PREFIX),
  adminPassword: optionalText.refine((v) => v === null || (v.length >= 8 && v.length <= 256), "must have 8-256 characters"),
  tz: z.string().refine(isKnownZone, "expected an IANA time zone like Asia/Ho_Chi_Minh").default(DEFAULT_TZ),
  publicMqttUrl: optionalText.refine((v) => v === null || isMqttUrl(v), "expected a URL like mqtt://loa.example.vn:1883"),
  maxUploadMb: int(1, 4096, "a whole number of megabytes").default(50),
  maxDurationS: int(1, 6 * 3600, "a whole number of seconds").default(1800),
  commandTtlS: int(5, 7 * 24 * 3600, "a whole number of seconds").default(120),
  trustProxy: z
    .preprocess((v) => (v === "true" ? true : v === "false" || v === "" ? false : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.union([z.boolean(), z.number().int().min(0).max(100)], "expected true, false or a hop count"))
    .default(false),
  logLevel: z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(", ")}`).default("info"),
});

type Parsed = z.infer<typeof Schema>;

export interface ConfigSources {
  env?: Readonly<Record<string, string | undefined>>;
  /** Flag values by flag name (`--http-port` → "8080"), from parseCliArgs. */
  flags?: Readonly<Record<string, string>>;
  /** Base for a relative data dir; default the working directory. */
  cwd?: string;
}

/** Read and validate every setting; throws CloudConfigError listing every problem. */
export function loadCloudConfig(sources: ConfigSources = {}): CloudConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const raw: Record<string, string> = {};
  const origin = new Map<string, string>();
  for (const s of SETTINGS) {
    const fromFlag = flags[s.flag];
    const fromEnv = env[s.env];
    const [value, source] = fromFlag !== undefined ? [fromFlag, s.flag] : [fromEnv, s.env];
    if (value === undefined) continue;
    raw[s.key] = value;
    origin.set(s.key, source);
  }
  const keyOf = (k: string): string => origin.get(k) ?? nameOf(k);
  // Field by field, so the rules between settings still run when another setting is wrong.
  const issues: ConfigIssue[] = [];
  const parsed: Partial<Parsed> = {};
  for (const [key, field] of Object.entries(Schema.shape)) {
    const res = (field as z.ZodType).safeParse(raw[key]);
    if (res.success) Object.assign(parsed, { [key]: res.data });
    else issues.push(...res.error.issues.map((i) => ({ key: keyOf(key), message: i.message })));
  }
  issues.push(...crossChecks(parsed, keyOf));
  const full = Schema.safeParse(parsed);
  if (issues.length > 0 || !full.success) throw new CloudConfigError(issues);
  return { ...full.data, dataDir: resolve(sources.cwd ?? process.cwd(), full.data.dataDir) };
}

function nameOf(key: string): string {
  const s = SETTINGS.find((x) => x.key === key);
  return s ? `${s.env} / ${s.flag}` : key;
}

/** Rules between settings, checked once each one is valid on its own. */
function crossChecks(c: Partial<Parsed>, keyOf: (k: string) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (typeof c.mqttUrl === "string" && c.mqttCloudPassword === null) {
    issues.push({ key: keyOf("mqttCloudPassword"), message: `required with an external broker (${keyOf("mqttUrl")}): the password of the cloud's MQTT user loa-cloud` });
  }
  if (c.mqttUrl === null) {
    const ports: Array<[string, number | null | undefined]> = [["httpPort", c.httpPort], ["mqttPort", c.mqttPort], ["mqttWsPort", c.mqttWsPort]];
    for (let i = 0; i < ports.length; i++) {
      for (let j = i + 1; j < ports.length; j++) {
        const [a, pa] = ports[i] ?? ["", undefined];
        const [b, pb] = ports[j] ?? ["", undefined];
        if (typeof pa === "number" && pa !== 0 && pa === pb) issues.push({ key: keyOf(b), message: `port ${pb} is already used by ${keyOf(a)}` });
      }
    }
  }
  return issues;
}

/**
 * The MQTT URL receivers are told to use: LOA_PUBLIC_MQTT_URL, else the external broker's URL (without
 * credentials), else `mqtt://<bind host or this machine's name>:<bound port>`.
 */
export function publicMqttUrlOf(c: CloudConfig, boundMqttPort: number | undefined): string {
  if (c.publicMqttUrl) return c.publicMqttUrl;
  if (c.mqttUrl) {
    const u = new URL(c.mqttUrl);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  }
  const wildcard = c.host === "0.0.0.0" || c.host === "::";
  const host = wildcard ? hostname() : c.host.includes(":") ? `[${c.host}]` : c.host;
  return `mqtt://${host}:${boundMqttPort ?? c.mqttPort}`;
}
