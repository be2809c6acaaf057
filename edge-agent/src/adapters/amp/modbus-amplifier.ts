/**
 * The Amplifier port over Modbus RTU, driven purely by the profile (ARCHITECTURE §5): loa-amp-v1, the
 * relay-board-v1 mains switch, or any profile JSON. Safety rules of §5 live here:
 * - power on muted: the mute write goes out before the power write;
 * - volume never jumps while it can be heard: setVolume reads the current volume and the mute, and ramps to
 *   the target in `rampStepPercent` steps, one every `rampIntervalMs` (soft start, and soft stop on the way
 *   down); while muted nothing is heard, so the target goes in one write (the volume set ahead of a play
 *   costs one exchange instead of a ramp's dozen on a 9600-baud line);
 * - power off = ramp down to 0, mute, power off;
 * - every time the serial line (re)opens, the amplifier is muted first (agent start, adapter re-plugged).
 * What a model lacks (a relay board has no volume, mute, source, zones or readings) is a no-op, and reads
 * back as null. Control commands run one after another; status reads go straight to the (queued) line.
 */
import {
  ProfileError,
  errorMessage,
  hasCapability,
  profileWriteRequest,
  rawToPercent,
  roleRegister,
  type AmpProfile,
  type Clock,
  type ProfileRole,
  type RegisterDef,
} from "@loa/shared";
import type { Logger } from "pino";
import { AmpError, type AmpStatus, type Amplifier } from "../../ports/amplifier.js";
import { Serial } from "../../lib/serial.js";
import type { SerialTransport } from "../../ports/serial.js";
import { StatusReader, decodeStatus, isOn } from "./amp-status.js";
import type { ModbusClient } from "./modbus-master.js";

export interface ModbusAmplifierOptions {
  /** Volume change per ramp step, in percent. */
  rampStepPercent: number;
  /** Time between two ramp steps. */
  rampIntervalMs: number;
  /** Mute whenever the line (re)opens (ARCHITECTURE §5 safety). */
  muteOnConnect: boolean;
}

export const DEFAULT_MODBUS_AMPLIFIER_OPTIONS: ModbusAmplifierOptions = { rampStepPercent: 5, rampIntervalMs: 50, muteOnConnect: true };

export interface ModbusAmplifierDeps {
  client: ModbusClient;
  profile: AmpProfile;
  clock: Clock;
  log: Logger;
  /** Unit id on the bus; default the profile's. */
  unitId?: number;
  /** The line under `client`, to mute on every (re)open. */
  transport?: Pick<SerialTransport, "on" | "isOpen">;
  options?: Partial<ModbusAmplifierOptions>;
}

type ControlRole = "power" | "volume" | "mute" | "source" | "zones";

export class ModbusAmplifier implements Amplifier {
  readonly profile: AmpProfile;
  readonly warmupMs: number;
  readonly options: ModbusAmplifierOptions;
  private readonly client: ModbusClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reader: StatusReader;
  /** Volume and mute, read before a volume change (one request on loa-amp-v1: adjacent registers). */
  private readonly levels: StatusReader;
  /** Control commands (ramps, power sequences) must not interleave. */
  private readonly commands = new Serial();
  private switchedOnAt: number | undefined;

  constructor(deps: ModbusAmplifierDeps) {
    this.profile = deps.unitId === undefined ? deps.profile : { ...deps.profile, unitId: deps.unitId };
    this.warmupMs = this.profile.warmupMs;
    this.options = { ...DEFAULT_MODBUS_AMPLIFIER_OPTIONS, ...deps.options };
    this.client = deps.client;
    this.clock = deps.clock;
    this.log = deps.log;
    this.reader = new StatusReader(this.profile);
    this.levels = new StatusReader(this.profile, ["volume", "mute"]);
    if (deps.transport && this.options.muteOnConnect && this.can("mute")) {
      deps.transport.on("open", () => this.muteOnConnect());
      if (deps.transport.isOpen) this.muteOnConnect();
    }
  }

  /** Whether the model has `role` (a relay board: power only). */
  can(role: ProfileRole): boolean {
    return hasCapability(this.profile, role);
  }

  powerOn(): Promise<void> {
    return this.commands.run(async () => {
      if (this.can("mute")) await this.write("mute", true);
      await this.write("power", true);
      this.switchedOnAt ??= this.clock.now();
    });
  }

  powerOff(): Promise<void> {
    return this.commands.run(async () => {
      // Each step is tried even when one before failed: a stuck volume must not keep the amplifier on.
      let first: unknown;
      const step = async (f: () => Promise<void>): Promise<void> => {
        await f().catch((err: unknown) => void (first ??= err));
      };
      if (this.can("volume")) await step(() => this.volumeTo(0));
      if (this.can("mute")) await step(() => this.write("mute", true));
      await step(() => this.write("power", false));
      if (first !== undefined) throw first;
      this.switchedOnAt = undefined;
    });
  }

  /** No-op on a model without volume. */
  setVolume(volume: number): Promise<void> {
    if (!Number.isFinite(volume) || volume < 0 || volume > 100) {
      return Promise.reject(new AmpError("amp_invalid_value", `volume ${volume} is outside 0..100`));
    }
    if (!this.can("volume")) return Promise.resolve();
    const target = Math.round(volume);
    return this.commands.run(() => this.volumeTo(target));
  }

  /** No-op on a model without mute. */
  mute(): Promise<void> {
    return this.can("mute") ? this.commands.run(() => this.write("mute", true)) : Promise.resolve();
  }

  /** No-op on a model without mute. */
  unmute(): Promise<void> {
    return this.can("mute") ? this.commands.run(() => this.write("mute", false)) : Promise.resolve();
  }

  /** By profile name ("line", "fm", "aux") or raw number; no-op on a model without source. */
  selectSource(source: string | number): Promise<void> {
    return this.can("source") ? this.commands.run(() => this.write("source", source)) : Promise.resolve();
  }

  /** Bitmask of speaker lines (bit0 = line 1); no-op on a model without zones. */
  setZones(mask: number): Promise<void> {
    if (!Number.isInteger(mask) || mask < 0) return Promise.reject(new AmpError("amp_invalid_value", `zones ${mask} is not a bitmask`));
    return this.can("zones") ? this.commands.run(() => this.write("zones", mask)) : Promise.resolve();
  }

  async readStatus(): Promise<AmpStatus> {
    const raw = await this.reader.read(this.client);
    const status = decodeStatus(this.profile, raw, { now: this.clock.now(), switchedOnAt: this.switchedOnAt, warmupMs: this.warmupMs });
    // Learn about power changes made elsewhere (front panel, another agent run) for the warm-up clock.
    if (!status.powered) this.switchedOnAt = undefined;
    else if (this.switchedOnAt === undefined) this.switchedOnAt = this.clock.now();
    return status;
  }

  private async ramp(from: number, to: number): Promise<void> {
    const step = Math.max(1, Math.round(this.options.rampStepPercent));
    const dir = Math.sign(to - from);
    let value = from;
    while (value !== to) {
      value = dir > 0 ? Math.min(to, value + step) : Math.max(to, value - step);
      await this.write("volume", value);
      if (value !== to) await this.clock.sleep(this.options.rampIntervalMs);
    }
  }

  /** The mute state is read, not remembered: the front panel may have changed it. */
  private async volumeTo(target: number): Promise<void> {
    const raw = await this.levels.read(this.client);
    const reg = roleRegister(this.profile, "volume");
    const from = reg && raw.volume !== undefined ? Math.min(100, Math.max(0, rawToPercent(reg, raw.volume))) : 0;
    if (from === target) return;
    if (isOn(this.profile, "mute", raw.mute) === true) return this.write("volume", target);
    await this.ramp(from, target);
  }

  private async write(role: ControlRole, value: number | string | boolean): Promise<void> {
    const reg = roleRegister(this.profile, role);
    if (!reg) return;
    let req;
    try {
      // Volume is in percent of the register's own range (min..max).
      const v = role === "volume" && typeof value === "number" ? percentToValue(reg, value) : value;
      req = profileWriteRequest(this.profile, reg, v);
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      throw new AmpError("amp_invalid_value", `${this.profile.id}: ${err.message}`, { role }, { cause: err });
    }
    await this.client.request(req);
  }

  private muteOnConnect(): void {
    this.commands.run(() => this.write("mute", true)).then(
      () => this.log.info({ profile: this.profile.id }, "amplifier muted on connect"),
      (err: unknown) => this.log.warn({ err: errorMessage(err) }, "amplifier mute on connect failed"),
    );
  }
}

function percentToValue(reg: RegisterDef, percent: number): number {
  const lo = reg.min ?? 0;
  const hi = reg.max ?? 100;
  return lo + Math.round(((hi - lo) * percent) / 100);
}
