/**
 * Reading an amplifier's state through its profile (ARCHITECTURE §5): which registers to read (as few
 * requests as the map allows: loa-amp-v1 takes one FC 03 for the controls and one FC 04 for the readings),
 * and how raw words become an AmpStatus. No per-model code: a role the profile lacks reads as null.
 *
 * Status bit names the driver understands (any profile may use them): `powered`, `ready`, `signalPresent`
 * (see decodeStatus).
 * Fault bits come from the profile's `faults` map.
 */
import {
  activeFaults,
  blockValues,
  hasCapability,
  profileReadPlan,
  profileReadRequest,
  rawToPercent,
  rawToValue,
  registerBits,
  roleRegister,
  type AmpProfile,
  type ModbusResponse,
  type ProfileRole,
  type ReadBlock,
} from "@loa/shared";
import type { AmpStatus } from "../../ports/amplifier.js";
import type { ModbusClient } from "./modbus-master.js";

const STATUS_ROLES: readonly ProfileRole[] = [
  "power", "volume", "mute", "source", "zones", "status", "temperature", "supplyVoltage", "outputCurrent", "firmwareVersion",
];

/** Raw values by role, for the roles the profile has and may use. */
export type RawByRole = Partial<Record<ProfileRole, number>>;

/** Reads a set of roles (by default everything a status needs) in as few requests as the map allows. */
export class StatusReader {
  private readonly plan: ReadBlock[];
  private readonly roleOf: Map<string, ProfileRole>;

  constructor(private readonly profile: AmpProfile, wanted: readonly ProfileRole[] = STATUS_ROLES) {
    const roles = wanted.filter((role) => hasCapability(profile, role));
    this.roleOf = new Map(roles.map((role) => [profile.roles[role] ?? "", role]));
    this.plan = profileReadPlan(profile, [...this.roleOf.keys()]);
  }

  /** Requests one status read costs. */
  get requests(): number {
    return this.plan.length;
  }

  async read(client: ModbusClient): Promise<RawByRole> {
    const out: RawByRole = {};
    for (const block of this.plan) {
      const reply = await client.request(profileReadRequest(this.profile, block));
      for (const [name, raw] of Object.entries(blockValues(block, dataOf(reply)))) {
        const role = this.roleOf.get(name);
        if (role) out[role] = raw;
      }
    }
    return out;
  }
}

function dataOf(reply: ModbusResponse): readonly number[] | readonly boolean[] {
  if ("values" in reply) return reply.values;
  if ("bits" in reply) return reply.bits;
  return [];
}

export interface StatusContext {
  now: number;
  /** When the driver saw or made the amplifier switch on; undefined when it was off. */
  switchedOnAt: number | undefined;
  warmupMs: number;
}

/**
 * Raw words → AmpStatus. `powered`: the power register is on (or the `powered` status bit is set).
 * `ready`: the `ready` status bit; else the `powered` status bit, which loa-amp-v1 firmware (and the
 * simulator) raise only once warmed up; else, with no status register (relay board), switched on for warmupMs.
 */
export function decodeStatus(profile: AmpProfile, raw: RawByRole, ctx: StatusContext): AmpStatus {
  const bits = statusBits(profile, raw.status);
  const powered = isOn(profile, "power", raw.power) === true || bits?.["powered"] === true;
  const warmedUp = ctx.switchedOnAt !== undefined && ctx.now - ctx.switchedOnAt >= ctx.warmupMs;
  return {
    reachable: true,
    powered,
    ready: powered && (bits?.["ready"] ?? bits?.["powered"] ?? warmedUp),
    muted: isOn(profile, "mute", raw.mute),
    volume: withRegister(profile, "volume", raw.volume, (reg, v) => rawToPercent(reg, v)),
    signalPresent: bits?.["signalPresent"] ?? null,
    temperatureC: withRegister(profile, "temperature", raw.temperature, rawToValue),
    supplyVoltageV: withRegister(profile, "supplyVoltage", raw.supplyVoltage, rawToValue),
    outputCurrentMa: withRegister(profile, "outputCurrent", raw.outputCurrent, rawToValue),
    faults: raw.status === undefined ? [] : activeFaults(profile, raw.status),
    firmwareVersion: raw.firmwareVersion === undefined ? null : `${raw.firmwareVersion >> 8}.${raw.firmwareVersion & 0xff}`,
    source: withRegister(profile, "source", raw.source, (reg, v) => Object.entries(reg.values ?? {}).find(([, x]) => x === v)?.[0] ?? v),
    zones: raw.zones ?? null,
  };
}

function statusBits(profile: AmpProfile, raw: number | undefined): Record<string, boolean> | undefined {
  const reg = roleRegister(profile, "status");
  return reg && raw !== undefined ? registerBits(reg, raw) : undefined;
}

/** A power/mute register read as a switch: anything but its `off` value (0 by default) is on. */
export function isOn(profile: AmpProfile, role: "power" | "mute", raw: number | undefined): boolean | null {
  const reg = roleRegister(profile, role);
  if (!reg || raw === undefined) return null;
  return raw !== (reg.values?.["off"] ?? 0);
}

function withRegister<T>(
  profile: AmpProfile,
  role: ProfileRole,
  raw: number | undefined,
  f: (reg: NonNullable<ReturnType<typeof roleRegister>>, raw: number) => T,
): T | null {
  const reg = roleRegister(profile, role);
  return reg && raw !== undefined ? f(reg, raw) : null;
}
