/**
 * The fleet: N receivers in one process, their network, and what the control interface can do to them
 * (docs/simulator.md "Control interface"). Receivers come in through the FleetReceiver interface, so the
 * commands are tested with fakes; SimReceiver is the real one.
 */
import { LoaError } from "@loa/shared";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { AmpSimState } from "../core/amp-engine.js";
import { SIM_FAULT_NAMES, isSimFaultName, type SimFaultName } from "../core/faults.js";
import { CREDENTIALS_REFUSED } from "./mqtt-frames.js";
import type { PlayLog, PlayRecord } from "./play-log.js";
import type { FleetReceiver, ReceiverStatus } from "./receiver.js";
import type { FleetReceiverRecord } from "./state-file.js";
import type { FleetSummary } from "./summary.js";

/** The network switch as the fleet uses it. */
export interface NetworkControl {
  cut(deviceId: string): void;
  restore(deviceId: string): void;
}

export class FleetControlError extends LoaError {
  /** HTTP status for the control interface. */
  readonly status: number;
  constructor(code: "receiver_not_found" | "control_invalid" | "receiver_busy", message: string) {
    super(code, message);
    this.status = code === "receiver_not_found" ? 404 : code === "receiver_busy" ? 409 : 400;
  }
}

export interface ReceiverView {
  deviceId: string;
  name: string;
  areaId: string;
  status: ReceiverStatus;
  /** `killed`: stopped by the control interface (power cut); `offline`: network cut. */
  killed: boolean;
  networkCut: boolean;
  online: boolean;
  playing: boolean;
  eventsSent: number;
  skewMs: number;
  /** The agent's measured offset to the cloud (about −skewMs once synced); null before the first sync. */
  clockOffsetMs: number | null;
  faults: SimFaultName[];
  plays: number;
}

export interface FleetDeps {
  receivers: readonly FleetReceiver[];
  network: NetworkControl;
  playLog: PlayLog;
  log: Logger;
  /** Rotate a token the broker refused; absent: refusals are only logged. */
  rotate?: (deviceId: string) => Promise<FleetReceiverRecord>;
  /** Least time between two rotations of one receiver's token (default 60 s). */
  rotateEveryMs?: number;
  random?: () => number;
}

/** `all` or a device id. */
export type Target = string;

export class Fleet {
  private readonly byId: ReadonlyMap<string, FleetReceiver>;
  private readonly cutIds = new Set<string>();
  private readonly killedIds = new Set<string>();
  private readonly rotatedAt = new Map<string, number>();
  private readonly log: Logger;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly deps: FleetDeps) {
    this.byId = new Map(deps.receivers.map((r) => [r.deviceId, r]));
    this.log = deps.log;
    // Every receiver waiting for its start listens to the one stop signal.
    setMaxListeners(0, this.stopSignal.signal);
  }

  get receivers(): readonly FleetReceiver[] {
    return this.deps.receivers;
  }

  /** The receivers a target names: every one for `all`, else the one with that id. */
  select(target: Target): FleetReceiver[] {
    if (target === "all") return [...this.deps.receivers];
    const r = this.byId.get(target);
    if (!r) throw new FleetControlError("receiver_not_found", `no receiver ${target} in this fleet (GET /receivers lists them)`);
    return [r];
  }

  view(r: FleetReceiver): ReceiverView {
    return {
      deviceId: r.deviceId, name: r.name, areaId: r.areaId, status: r.status,
      killed: this.killedIds.has(r.deviceId), networkCut: this.cutIds.has(r.deviceId),
      online: r.online, playing: r.playing, eventsSent: r.eventsSent, skewMs: r.skewMs, clockOffsetMs: r.clockOffsetMs, faults: r.faults(),
      plays: this.deps.playLog.countOf(r.deviceId),
    };
  }

  list(): ReceiverView[] {
    return this.deps.receivers.map((r) => this.view(r));
  }

  amp(target: Target): AmpSimState {
    const [r] = this.select(target);
    if (!r || target === "all") throw new FleetControlError("control_invalid", "amp state is per receiver: give its id");
    return r.amp();
  }

  /** Start every receiver after a random delay in [0, jitterMs); resolves when all have started (or failed). */
  startAll(jitterMs: number): Promise<void> {
    const random = this.deps.random ?? Math.random;
    this.starting = Promise.all(
      this.deps.receivers.map(async (r) => {
        await sleep(Math.floor(random() * Math.max(0, jitterMs)), this.stopSignal.signal);
        if (!this.stopping) await this.startOne(r);
      }),
    ).then(() => undefined);
    return this.starting;
  }

  /** Stop every receiver safely (those still starting are stopped once started; those waiting never start). */
  async stopAll(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.starting;
    await Promise.allSettled(this.deps.receivers.map((r) => r.stop()));
  }

  /** Cut the network of the targets: the link drops, reconnects fail, the agent plays on from its plan. */
  offline(target: Target): ReceiverView[] {
    return this.select(target).map((r) => {
      this.cutIds.add(r.deviceId);
      this.deps.network.cut(r.deviceId);
      return this.view(r);
    });
  }

  online(target: Target): ReceiverView[] {
    return this.select(target).map((r) => {
      this.cutIds.delete(r.deviceId);
      if (!this.killedIds.has(r.deviceId)) this.deps.network.restore(r.deviceId);
      return this.view(r);
    });
  }

  /**
   * Power cut: the network goes at once (the broker sees the connection die without a DISCONNECT and
   * publishes the will), then the agent stops, and the amplifier loses power.
   */
  async kill(target: Target): Promise<ReceiverView[]> {
    const rs = this.select(target);
    await Promise.all(
      rs.map(async (r) => {
        this.killedIds.add(r.deviceId);
        this.deps.network.cut(r.deviceId);
        // Let the link see its connection gone first, so the stop does not wait on a will nobody receives.
        await waitUntil(() => !r.online, 1000);
        await r.stop();
        r.powerLost();
      }),
    );
    return rs.map((r) => this.view(r));
  }

  /** Power back (after kill) or start a stopped receiver: a new boot of the agent over its data directory. */
  async start(target: Target): Promise<ReceiverView[]> {
    const rs = this.select(target);
    await Promise.all(
      rs.map(async (r) => {
        this.killedIds.delete(r.deviceId);
        if (!this.cutIds.has(r.deviceId)) this.deps.network.restore(r.deviceId);
        await this.startOne(r);
      }),
    );
    return rs.map((r) => this.view(r));
  }

  fault(target: Target, name: string, on: boolean): ReceiverView[] {
    if (!isSimFaultName(name)) {
      throw new FleetControlError("control_invalid", `unknown fault "${name}"; known: ${SIM_FAULT_NAMES.join(", ")}`);
    }
    return this.select(target).map((r) => {
      r.setFault(name, on);
      return this.view(r);
    });
  }

  clearFaults(target: Target): ReceiverView[] {
    return this.select(target).map((r) => {
      r.clearFaults();
      return this.view(r);
    });
  }

  /** Offset the receivers' own clocks by `ms` (negative: behind). */
  skew(target: Target, ms: number): ReceiverView[] {
    if (!Number.isFinite(ms) || Math.abs(ms) > 7 * 24 * 3600 * 1000) {
      throw new FleetControlError("control_invalid", "ms must be a number of milliseconds within ±7 days");
    }
    return this.select(target).map((r) => {
      r.setSkew(Math.round(ms));
      return this.view(r);
    });
  }

  plays(filter: { deviceId?: string; playId?: string; since?: number } = {}): PlayRecord[] {
    return this.deps.playLog.list(filter);
  }

  summary(): FleetSummary {
    const rs = this.deps.receivers;
    const count = (p: (r: FleetReceiver) => boolean): number => rs.reduce((n, r) => n + (p(r) ? 1 : 0), 0);
    return {
      total: rs.length,
      running: count((r) => r.status === "running"),
      online: count((r) => r.online),
      playing: count((r) => r.playing),
      eventsSent: rs.reduce((n, r) => n + r.eventsSent, 0),
      plays: this.deps.playLog.count,
      faults: count((r) => r.faults().length > 0),
      cut: this.cutIds.size,
      killed: this.killedIds.size,
    };
  }

  /** The agent asked to exit (cmd reboot): restart it, as systemd would. */
  reboot(r: FleetReceiver): void {
    setImmediate(() => {
      if (this.stopping) return;
      this.log.info({ deviceId: r.deviceId }, "receiver rebooting");
      r.stop()
        .then(() => this.startOne(r))
        .catch((err: unknown) => this.log.error({ deviceId: r.deviceId, err }, "reboot failed"));
    });
  }

  /** The broker answered a receiver's CONNECT (from the network switch). */
  connack(deviceId: string, code: number): void {
    const r = this.byId.get(deviceId);
    if (!r || !CREDENTIALS_REFUSED.has(code) || this.stopping) return;
    const rotate = this.deps.rotate;
    const last = this.rotatedAt.get(deviceId);
    if (!rotate || (last !== undefined && Date.now() - last < (this.deps.rotateEveryMs ?? 60_000))) return;
    this.rotatedAt.set(deviceId, Date.now());
    rotate(deviceId)
      .then(async (rec) => {
        r.update(rec);
        await r.stop();
        await this.startOne(r);
      })
      .catch((err: unknown) => this.log.error({ deviceId, err }, "token rotation failed"));
  }

  private async startOne(r: FleetReceiver): Promise<void> {
    try {
      await r.start();
    } catch (err) {
      this.log.error({ deviceId: r.deviceId, err }, "receiver failed to start");
    }
  }
}

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
