/**
 * Who may connect and what they may do on the embedded broker (ARCHITECTURE §3 Auth), as plain functions
 * of username, topic and flags so the rules are tested without sockets. The aedes hooks in
 * embedded-broker.ts only translate these answers into CONNACK codes, SUBACK 128 and dropped publishes.
 */
import { DEFAULT_CLOUD_USER, DEFAULT_PREFIX, createTopics, isAllowed, type Device, type Topics } from "@loa/shared";
import { verifyDeviceToken } from "../core/auth/device-tokens.js";
import { matchesSha256, sha256Hex } from "../core/auth/secrets.js";
import { indexById } from "../core/known-devices.js";
import type { Catalog } from "../ports/store.js";

/** MQTT 3.1.1 CONNACK return codes we answer with. */
export const CONNACK = { identifierRejected: 2, badCredentials: 4, notAuthorized: 5 } as const;

export type Role = "cloud" | "device";

export type AuthResult =
  | { ok: true; role: Role }
  | { ok: false; returnCode: (typeof CONNACK)[keyof typeof CONNACK]; reason: string };

export interface BrokerAccessDeps {
  catalog: Pick<Catalog, "data">;
  /** The cloud's own MQTT password (random per start, or from config). */
  cloudPassword: string;
  cloudUser?: string;
  prefix?: string;
}

/** sha256 of a token nobody holds, compared against when the device is unknown, so both paths cost the same. */
const NO_DEVICE: Pick<Device, "tokenHash"> = { tokenHash: "0".repeat(64) };

export class BrokerAccess {
  readonly cloudUser: string;
  readonly prefix: string;
  private readonly topics: Topics;
  private readonly cloudHash: string;

  constructor(private readonly deps: BrokerAccessDeps) {
    this.cloudUser = deps.cloudUser ?? DEFAULT_CLOUD_USER;
    this.prefix = deps.prefix ?? DEFAULT_PREFIX;
    this.topics = createTopics(this.prefix);
    if (deps.cloudPassword.length < 16) throw new Error("the cloud MQTT password must have at least 16 characters");
    this.cloudHash = sha256Hex(deps.cloudPassword);
  }

  /**
   * Username = device id and password = device token, or the cloud user with the cloud password. A device's
   * client id must name the device itself (see isOwnClientId), so one device can never take over another's
   * session (MQTT 3.1.4-2: a CONNECT with a connected client id disconnects the earlier client).
   */
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): AuthResult {
    if (username === undefined || password === undefined || username.length === 0) {
      return { ok: false, returnCode: CONNACK.badCredentials, reason: "no username or password" };
    }
    const secret = password.toString("utf8");
    if (username === this.cloudUser) {
      const ok = matchesSha256(secret, this.cloudHash);
      return ok ? { ok: true, role: "cloud" } : { ok: false, returnCode: CONNACK.badCredentials, reason: "wrong cloud password" };
    }
    const device = this.device(username);
    const tokenOk = verifyDeviceToken(device ?? NO_DEVICE, secret);
    if (!device || !tokenOk) {
      return { ok: false, returnCode: CONNACK.badCredentials, reason: device ? "wrong device token" : "unknown device" };
    }
    if (!isOwnClientId(clientId, username)) {
      return { ok: false, returnCode: CONNACK.identifierRejected, reason: `client id must be "${EDGE_CLIENT_PREFIX}${username}" or "${username}"` };
    }
    return { ok: true, role: "device" };
  }

  /** A device publishes only its own dev→cloud topics, and retains only its own status (birth and will). */
  canPublish(username: string, topic: string, retain: boolean): boolean {
    if (!isAllowed(username, "publish", topic, { prefix: this.prefix, cloudUser: this.cloudUser })) return false;
    if (!retain || username === this.cloudUser) return true;
    return topic === this.topics.status(username);
  }

  canSubscribe(username: string, filter: string): boolean {
    return isAllowed(username, "subscribe", filter, { prefix: this.prefix, cloudUser: this.cloudUser });
  }

  /** Checked again on every delivery: a message reaches a client only if it could subscribe to that exact topic. */
  canReceive(username: string, topic: string): boolean {
    return this.canSubscribe(username, topic);
  }

  /** Indexed per devices array: a rotated token replaces the array, so the lookup never sees a stale hash. */
  private device(id: string): Device | undefined {
    return indexById(this.deps.catalog.data().devices).get(id);
  }
}

/** The edge agent's client id is `loa-edge-<deviceId>` (edge-agent MqttJsLink). */
export const EDGE_CLIENT_PREFIX = "loa-edge-";

/**
 * `loa-edge-<id>` or `<id>`, optionally followed by `:<anything>` (a second connection of the same device,
 * e.g. a tool). Provisioning mints ids `dev_…`, never `loa-edge-…`, so the two forms cannot collide.
 */
export function isOwnClientId(clientId: string, deviceId: string): boolean {
  return [deviceId, EDGE_CLIENT_PREFIX + deviceId].some((base) => clientId === base || clientId.startsWith(`${base}:`));
}
