/**
 * `loa-cloud export-mosquitto --out DIR` (ARCHITECTURE §3 Auth, §4): the files an external Mosquitto 2
 * needs to enforce the same rules as the embedded broker — `passwd` (devices and the cloud user), `acl`
 * (the shared `pattern` rules) and `mosquitto.conf`.
 *
 * Device tokens are stored only as hashes, so the password file is written from each device's `mqttHash`
 * (a Mosquitto PBKDF2 hash stored at provisioning and rotation). A device without one (provisioned before
 * the field existed) gets a line only if its plain token is passed in `tokens`; otherwise it is listed in
 * `skipped`, and rotating its token (`POST /api/v1/devices/:id/token`) is the way to re-issue it.
 */
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DEFAULT_CLOUD_USER, DEFAULT_PREFIX, isDeviceId, mosquittoAclText } from "@loa/shared";
import { mosquittoPasswdLine, mosquittoPasswordHash } from "../broker/mosquitto-passwd.js";
import type { Catalog } from "../ports/store.js";

export interface MosquittoListener {
  port: number;
  /** Bind address; absent = all interfaces. */
  host?: string;
}

export interface ExportMosquittoOptions {
  catalog: Pick<Catalog, "data">;
  outDir: string;
  /** The password the cloud will use against this broker (as `loa-cloud`). */
  cloudPassword: string;
  cloudUser?: string;
  prefix?: string;
  /** Plain tokens for devices that have no `mqttHash` (e.g. just re-issued). */
  tokens?: Readonly<Record<string, string>>;
  /** Default `listener 1883`. */
  listener?: MosquittoListener;
  /** Adds a WebSocket listener. */
  wsListener?: MosquittoListener;
  /** Where Mosquitto keeps its persistence database; default `<outDir>/data`. */
  persistenceDir?: string;
}

export interface ExportMosquittoResult {
  files: { passwd: string; acl: string; conf: string };
  /** Devices written to `passwd`. */
  devices: string[];
  /** Devices left out: no `mqttHash` and no token given. Rotate their token, then export again. */
  skipped: string[];
}

export async function exportMosquitto(opts: ExportMosquittoOptions): Promise<ExportMosquittoResult> {
  const outDir = resolve(opts.outDir);
  const cloudUser = opts.cloudUser ?? DEFAULT_CLOUD_USER;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const files = { passwd: join(outDir, "passwd"), acl: join(outDir, "acl"), conf: join(outDir, "mosquitto.conf") };
  const { lines, devices, skipped } = passwdLines(opts, cloudUser);
  const persistenceDir = resolve(opts.persistenceDir ?? join(outDir, "data"));
  await mkdir(outDir, { recursive: true });
  await mkdir(persistenceDir, { recursive: true });
  // The password file holds credential hashes: owner and group only (chgrp it to the broker's group).
  await writeAtomic(files.passwd, `${lines.join("\n")}\n`, 0o640);
  await writeAtomic(files.acl, mosquittoAclText({ prefix, cloudUser }), 0o644);
  await writeAtomic(files.conf, mosquittoConf({ ...opts, files, persistenceDir }), 0o644);
  return { files, devices, skipped };
}

function passwdLines(opts: ExportMosquittoOptions, cloudUser: string): { lines: string[]; devices: string[]; skipped: string[] } {
  if (opts.cloudPassword.length < 16) throw new Error("the cloud MQTT password must have at least 16 characters");
  const lines = [mosquittoPasswdLine(cloudUser, mosquittoPasswordHash(opts.cloudPassword))];
  const devices: string[] = [];
  const skipped: string[] = [];
  for (const d of opts.catalog.data().devices) {
    // The cloud's own user must never also be a device (docs/decisions.md), and `:` would break the file.
    if (d.id === cloudUser || !isDeviceId(d.id)) {
      skipped.push(d.id);
      continue;
    }
    const token = opts.tokens?.[d.id];
    const hash = token !== undefined ? mosquittoPasswordHash(token) : d.mqttHash;
    if (hash === undefined) {
      skipped.push(d.id);
      continue;
    }
    lines.push(mosquittoPasswdLine(d.id, hash));
    devices.push(d.id);
  }
  return { lines, devices, skipped };
}

interface ConfInput extends ExportMosquittoOptions {
  files: ExportMosquittoResult["files"];
  persistenceDir: string;
}

/** The broker settings, each with the reason it is there. */
export function mosquittoConf(c: ConfInput): string {
  const listen = (l: MosquittoListener): string => `listener ${l.port}${l.host ? ` ${l.host}` : ""}`;
  const lines = [
    "# Loa: Mosquitto 2 configuration for an external broker (ARCHITECTURE §3 Auth, §4).",
    "# Written by `loa-cloud export-mosquitto`; export again after adding devices or rotating tokens,",
    "# then reload Mosquitto (SIGHUP re-reads passwd and acl). Mosquitto reads these files after dropping",
    "# to its own user: `chgrp mosquitto passwd` (mode 0640) and give it the persistence directory.",
    "",
    "# MQTT over TCP for receivers and the cloud.",
    listen(c.listener ?? { port: 1883 }),
    ...(c.wsListener ? ["", "# MQTT over WebSocket.", listen(c.wsListener), "protocol websockets"] : []),
    "",
    "# Every client logs in: devices with their id and token, the cloud as its own user.",
    "allow_anonymous false",
    `password_file ${c.files.passwd}`,
    "# Devices publish only their own dev->cloud topics and read only their own cloud->dev topics and media.",
    `acl_file ${c.files.acl}`,
    "# The client id is replaced by the username, so one device can never take over another's session.",
    "use_username_as_clientid true",
    "",
    "# Sessions, retained plans and births, and queued QoS 1 messages survive a broker restart.",
    "persistence true",
    `persistence_location ${c.persistenceDir}/`,
    "autosave_interval 60",
    "# Sessions of clients gone for good (a replaced receiver) are dropped after two weeks.",
    "persistent_client_expiration 14d",
    "",
    "# Never silently drop QoS 1 messages queued for a slow or reconnecting client (the default caps each",
    "# client at 1000 and then drops without a word). The cloud's queue holds every device's events while it",
    "# restarts; devices also keep events until acknowledged, so memory, not loss, is the risk here.",
    "max_queued_messages 0",
    "max_queued_bytes 0",
    "# QoS 1 messages in flight per client before the rest wait in the queue (20 by default); more keeps a",
    "# busy cloud subscriber fed without round-trip stalls. A resend after a reconnect may then overtake a",
    "# later message, which Loa tolerates: events carry seq, plans carry version.",
    "max_inflight_messages 100",
    "# Deliver with the publisher's QoS (telemetry and time stay QoS 0), as the contract table says.",
    "upgrade_outgoing_qos false",
    "# Telemetry (QoS 0) is not worth queueing for an offline client.",
    "queue_qos0_messages false",
    "# Largest payloads are plans (2 MiB) and media chunks (1 MiB); refuse anything far beyond.",
    "max_packet_size 4194304",
    "",
  ];
  return lines.join("\n");
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
