/**
 * `startFleet`: provision what is missing, then run N receivers in this process behind the network switch,
 * with the control interface. The CLI (cli.ts), the demo and the end-to-end tests all start fleets this way.
 */
import { StartLine, type AgentOptions } from "@loa/edge-agent";
import { loadProfile, type AmpProfile } from "@loa/shared";
import type { Logger } from "pino";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { startFleetControl, type FleetControlServer } from "./control-http.js";
import { Fleet } from "./fleet.js";
import { NetSwitch } from "./net-switch.js";
import { PlayLog } from "./play-log.js";
import { ensureReceivers, rotateToken, type ProvisionDeps, type ProvisionResult } from "./provision.js";
import { SimReceiver, receiverDirs } from "./receiver.js";
import { RestClient } from "./rest-client.js";
import { loadState, saveState, type FleetReceiverRecord } from "./state-file.js";

export const DEFAULT_STATE_FILE = ".loa-fleet.json";

/**
 * Light timers for big fleets (ARCHITECTURE §3 telemetry default 30 s; the amplifier is polled every 30 s
 * instead of 5 s): 1,000 receivers then make about 70 timer wake-ups a second between them. The amplifiers
 * are powered 1.5 s earlier than a board's 300 ms margin: 500 emulated amplifiers answering in one process
 * take a few hundred ms to power on together, and a play waits for its amplifier's warm-up (player.ts).
 */
export const FLEET_AGENT_DEFAULTS: Partial<AgentOptions> = { ampPollMs: 30_000, telemetryIntervalS: 30, player: { ampMarginMs: 1_500 } };

/** FLEET_AGENT_DEFAULTS with `overrides` on top; player options merge one level deeper. */
export function fleetAgentOptions(overrides: Partial<AgentOptions> = {}): Partial<AgentOptions> {
  return { ...FLEET_AGENT_DEFAULTS, ...overrides, player: { ...FLEET_AGENT_DEFAULTS.player, ...overrides.player } };
}

export interface FleetOptions {
  /** `http://host:port` of the cloud. */
  cloud: string;
  apiToken: string;
  count: number;
  /** Villages or communes for new receivers (default: every visible village, else every commune). */
  areaIds?: string[];
  /** A WAV per play under `<capture>/<deviceId>/`, with real ffmpeg decoding. */
  capture?: string;
  /** Default ./.loa-fleet.json. */
  statePath?: string;
  /** Per-receiver data directories (default `.loa-fleet-data` beside the state file). */
  dataDir?: string;
  /** HTTP control on 127.0.0.1 (0: any free port); absent: none. */
  controlPort?: number;
  /** Receivers start at random moments within this window (default 5000). */
  jitterMs?: number;
  /** The broker to use instead of the edge configs' `mqttUrl` (mqtt:// only). */
  mqttUrl?: string;
  /** Amplifier profile for new receivers (default: the cloud's). */
  profile?: string;
  agent?: Partial<AgentOptions>;
  reconnect?: { minMs: number; maxMs: number; stableMs: number };
  log: Logger;
}

export interface RunningFleet {
  fleet: Fleet;
  network: NetSwitch;
  control: FleetControlServer | undefined;
  provision: ProvisionResult;
  /** The broker the receivers reach through the switch. */
  upstreamMqttUrl: string;
  statePath: string;
  dataDir: string;
  /** Resolves once every receiver has started (or failed to; see the log). */
  started: Promise<void>;
  /** Stop every receiver safely, then the control interface and the switch. */
  stop(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<RunningFleet> {
  const statePath = resolve(o.statePath ?? DEFAULT_STATE_FILE);
  const dataDir = resolve(o.dataDir ?? join(dirname(statePath), ".loa-fleet-data"));
  const api = new RestClient({ baseUrl: o.cloud, token: o.apiToken });
  const state = await loadState(statePath, o.cloud);
  const pdeps: ProvisionDeps = { api, state, save: (s) => saveState(statePath, s), log: o.log.child({ ns: "sim.fleet.provision" }) };
  const provision = await ensureReceivers(pdeps, { count: o.count, ...(o.areaIds ? { areaIds: o.areaIds } : {}), ...(o.profile ? { profile: o.profile } : {}) });
  const upstream = o.mqttUrl ?? provision.receivers[0]?.edgeConfig.mqttUrl;
  if (!upstream) throw new Error("no receivers to run (--count 0?)");
  let fleet: Fleet | undefined;
  const network = new NetSwitch({ upstream, log: o.log.child({ ns: "sim.fleet.net" }), onConnack: (id, code) => fleet?.connack(id, code) });
  const mqttUrl = await network.start();
  const playLog = new PlayLog();
  const profiles = await loadProfiles(provision.receivers);
  // One start line for the whole fleet: plays due together start in one loop (edge-agent start-line.ts).
  const startLine = StartLine.forRealClock();
  const receivers = provision.receivers.map(
    (record) =>
      new SimReceiver({
        record, mqttUrl, playLog, profile: profiles.get(record.edgeConfig.profile) as AmpProfile,
        ...receiverDirs(dataDir, o.capture === undefined ? undefined : resolve(o.capture), record.deviceId),
        log: o.log.child({ deviceId: record.deviceId }),
        agentOptions: fleetAgentOptions(o.agent),
        ...(o.reconnect ? { reconnect: o.reconnect } : {}),
        startLine,
        onExit: (r) => fleet?.reboot(r),
      }),
  );
  const built = new Fleet({
    receivers, network, playLog, log: o.log.child({ ns: "sim.fleet" }),
    rotate: (id): Promise<FleetReceiverRecord> => rotateToken(pdeps, id),
  });
  fleet = built;
  await mkdir(dataDir, { recursive: true });
  let control: FleetControlServer | undefined;
  try {
    if (o.controlPort !== undefined) control = await startFleetControl(built, o.controlPort);
  } catch (err) {
    await network.close();
    throw err;
  }
  const started = built.startAll(o.jitterMs ?? 5000);
  const stop = async (): Promise<void> => {
    await built.stopAll();
    await control?.close();
    await network.close();
  };
  return { fleet: built, network, control, provision, upstreamMqttUrl: upstream, statePath, dataDir, started, stop };
}

async function loadProfiles(records: readonly FleetReceiverRecord[]): Promise<Map<string, AmpProfile>> {
  const out = new Map<string, AmpProfile>();
  for (const id of new Set(records.map((r) => r.edgeConfig.profile))) out.set(id, await loadProfile(id));
  return out;
}
