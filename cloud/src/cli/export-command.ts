/**
 * `loa-cloud export-mosquitto --out DIR` (ARCHITECTURE §4): reads the catalogue of the data dir (read
 * only, so it may run beside a running cloud) and writes the external broker's files with exportMosquitto.
 * The cloud's MQTT password is LOA_MQTT_CLOUD_PASSWORD, or a new one printed once.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LoaError } from "@loa/shared";
import { CATALOG_FILE } from "../adapters/store/open-store.js";
import { CatalogSchema, describeIssues } from "../adapters/store/catalog-schema.js";
import { CloudConfigError, type CloudConfig } from "../config.js";
import type { CatalogData } from "../ports/store.js";
import { exportMosquitto, type MosquittoListener } from "./export-mosquitto.js";

export interface ExportCommandIo {
  out: (text: string) => void;
}

export async function runExportMosquitto(config: CloudConfig, options: Readonly<Record<string, string>>, io: ExportCommandIo): Promise<void> {
  const outDir = options["--out"];
  const listener = listenerOf(options, config);
  const ws = options["--ws-port"] !== undefined ? { port: portOf("--ws-port", options["--ws-port"]), ...hostOf(options) } : undefined;
  if (!outDir) throw new CloudConfigError([{ key: "--out", message: "required: the directory to write passwd, acl and mosquitto.conf into" }]);
  const data = await readCatalog(config.dataDir);
  const generated = config.mqttCloudPassword === null;
  const cloudPassword = config.mqttCloudPassword ?? randomBytes(24).toString("base64url");
  const res = await exportMosquitto({ catalog: { data: () => data }, outDir, cloudPassword, prefix: config.mqttPrefix, listener, ...(ws ? { wsListener: ws } : {}) });
  io.out(`wrote ${res.files.passwd}\nwrote ${res.files.acl}\nwrote ${res.files.conf}\n`);
  io.out(`${res.devices.length} device(s) in the password file.\n`);
  if (res.skipped.length > 0) {
    io.out(`skipped (no stored Mosquitto hash; rotate their token, then export again): ${res.skipped.join(", ")}\n`);
  }
  if (generated) {
    io.out(
      [
        "",
        "The cloud's MQTT password (user loa-cloud) was generated; it is shown only this once.",
        "Start the cloud against this broker with:",
        `  LOA_MQTT_CLOUD_PASSWORD='${cloudPassword}' MQTT_URL=mqtt://<broker host>:${listener.port} npm start`,
        "",
      ].join("\n"),
    );
  }
}

function portOf(key: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65_535) throw new CloudConfigError([{ key, message: "expected a port number 1-65535" }]);
  return n;
}

function hostOf(options: Readonly<Record<string, string>>): { host?: string } {
  const host = options["--listen-host"];
  return host ? { host } : {};
}

function listenerOf(options: Readonly<Record<string, string>>, config: CloudConfig): MosquittoListener {
  const given = options["--listen-port"];
  const port = given !== undefined ? portOf("--listen-port", given) : config.mqttPort > 0 ? config.mqttPort : 1883;
  return { port, ...hostOf(options) };
}

async function readCatalog(dataDir: string): Promise<CatalogData> {
  const path = join(dataDir, CATALOG_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LoaError("catalog_missing", code === "ENOENT" ? `no catalogue at ${path}: start the cloud once on this data dir (LOA_DATA_DIR), or point --data-dir at it` : `cannot read ${path}: ${code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LoaError("catalog_invalid", `${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = CatalogSchema.safeParse(json);
  if (!parsed.success) throw new LoaError("catalog_invalid", `${path} is not a valid catalogue: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
