/**
 * The fleet's memory of what it provisioned (default `./.loa-fleet.json`): device id → token and edge.json,
 * so a rerun reuses the same receivers (same ids, same outbox seq, same media cache) instead of provisioning
 * new ones. The token is shown by the cloud only once (ARCHITECTURE §7 devices), so this file is the only
 * copy: it is written atomically (temp file, fsync, rename) and never silently replaced when unreadable.
 */
import { EdgeConfigDoc, LoaError } from "@loa/shared";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";

export const STATE_VERSION = 1;

export interface FleetReceiverRecord {
  deviceId: string;
  name: string;
  areaId: string;
  token: string;
  edgeConfig: EdgeConfigDoc;
  provisionedAt: string;
}

export interface FleetState {
  version: typeof STATE_VERSION;
  /** The cloud these receivers were provisioned on (informational; the cloud's device list is the truth). */
  cloud: string;
  receivers: Record<string, FleetReceiverRecord>;
}

export class FleetStateError extends LoaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("fleet_state_invalid", message, undefined, options);
  }
}

export function emptyState(cloud: string): FleetState {
  return { version: STATE_VERSION, cloud, receivers: {} };
}

/** Receivers ordered by name, then id (stable across runs, so `--count` picks the same ones). */
export function receiversOf(state: FleetState): FleetReceiverRecord[] {
  return Object.values(state.receivers).sort((a, b) => a.name.localeCompare(b.name) || a.deviceId.localeCompare(b.deviceId));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseReceiver(key: string, raw: unknown): FleetReceiverRecord {
  if (!isRecord(raw)) throw new FleetStateError(`receivers.${key}: expected an object`);
  const cfg = EdgeConfigDoc.safeParse(raw["edgeConfig"]);
  if (!cfg.success) throw new FleetStateError(`receivers.${key}.edgeConfig: ${cfg.error.issues.map((i) => i.message).join("; ")}`);
  for (const f of ["name", "areaId", "token", "provisionedAt"] as const) {
    if (typeof raw[f] !== "string" || raw[f] === "") throw new FleetStateError(`receivers.${key}.${f}: expected a non-empty string`);
  }
  if (cfg.data.deviceId !== key) throw new FleetStateError(`receivers.${key}: edgeConfig.deviceId is ${cfg.data.deviceId}`);
  return {
    deviceId: key,
    name: raw["name"] as string,
    areaId: raw["areaId"] as string,
    token: raw["token"] as string,
    edgeConfig: cfg.data,
    provisionedAt: raw["provisionedAt"] as string,
  };
}

/** Parse the file's text; throws FleetStateError naming the bad key. */
export function parseState(text: string, source: string): FleetState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FleetStateError(`${source} is not JSON; fix or move it away (it holds the only copy of the device tokens)`, { cause: err });
  }
  if (!isRecord(json) || json["version"] !== STATE_VERSION) throw new FleetStateError(`${source}: expected {"version": ${STATE_VERSION}, ...}`);
  const receivers = json["receivers"];
  if (!isRecord(receivers) || typeof json["cloud"] !== "string") throw new FleetStateError(`${source}: expected "cloud" and "receivers"`);
  const out: Record<string, FleetReceiverRecord> = {};
  for (const [key, raw] of Object.entries(receivers)) out[key] = parseReceiver(key, raw);
  return { version: STATE_VERSION, cloud: json["cloud"], receivers: out };
}

/** The state in `path`, or an empty one (for `cloud`) when the file does not exist. */
export async function loadState(path: string, cloud: string): Promise<FleetState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState(cloud);
    throw new FleetStateError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseState(text, path);
}

let tmpSeq = 0;

/** Replace the file atomically: a crash leaves the old or the new state, never half of one. */
export async function saveState(path: string, state: FleetState): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpSeq}.tmp`);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
