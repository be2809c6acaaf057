/** Settings of the HTTP layer; main.ts fills them from the environment (ARCHITECTURE §7 settings). */
import { DEFAULT_TZ } from "@loa/shared";
import type { RateLimitRule } from "../core/auth/rate-limit.js";
import { DEFAULT_SCRYPT_COST, type ScryptCost } from "../core/auth/password.js";

export interface HttpConfig {
  /** The MQTT URL receivers use, written into provisioned edge configs (e.g. `mqtt://loa.example.vn:1883`). */
  publicMqttUrl: string;
  /** MQTT topic prefix; default `loa/v1`. */
  mqttPrefix?: string;
  /** Default zone for edge configs when an area has none; default Asia/Ho_Chi_Minh. */
  tz?: string;
  /** Amplifier profile given to devices created without one; default `loa-amp-v1`. */
  defaultProfile?: string;
  /** Known profile ids; when set, devices may only use these. */
  profiles?: readonly string[];
  /**
   * Cookie `Secure` flag: true, false, or "auto" (default) = only when the request came over https
   * (X-Forwarded-Proto counts when `trustProxy` is set).
   */
  cookieSecure?: boolean | "auto";
  /** Express `trust proxy` setting, for a reverse proxy in front (req.ip, req.secure). Default false. */
  trustProxy?: boolean | number | string;
  /** Session lifetime, sliding; default 7 days. */
  sessionTtlMs?: number;
  /** JSON body limit; default 256 kB. */
  jsonLimit?: string;
  loginLimit?: { perUser?: RateLimitRule; perIp?: RateLimitRule };
  /** scrypt cost for new password hashes; tests lower it. */
  passwordCost?: ScryptCost;
  /** Check every JSON reply against its documented schema (tests: the OpenAPI document stays true). */
  validateResponses?: boolean;
}

export type ResolvedHttpConfig = Required<Omit<HttpConfig, "profiles" | "loginLimit">> &
  Pick<HttpConfig, "profiles" | "loginLimit">;

export function resolveHttpConfig(c: HttpConfig): ResolvedHttpConfig {
  return {
    publicMqttUrl: c.publicMqttUrl,
    mqttPrefix: c.mqttPrefix ?? "loa/v1",
    tz: c.tz ?? DEFAULT_TZ,
    defaultProfile: c.defaultProfile ?? "loa-amp-v1",
    profiles: c.profiles,
    cookieSecure: c.cookieSecure ?? "auto",
    trustProxy: c.trustProxy ?? false,
    sessionTtlMs: c.sessionTtlMs ?? 7 * 24 * 3600_000,
    jsonLimit: c.jsonLimit ?? "256kb",
    loginLimit: c.loginLimit,
    passwordCost: c.passwordCost ?? DEFAULT_SCRYPT_COST,
    validateResponses: c.validateResponses ?? false,
  };
}
