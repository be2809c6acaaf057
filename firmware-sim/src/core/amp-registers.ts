/**
 * Between the profile's roles (ARCHITECTURE §5) and the amplifier's body: what the control registers mean,
 * and the raw words of the readings. Nothing here names an address, so any profile works.
 */
import { rawToPercent, roleRegister, type AmpProfile, type NamedRegister, type ProfileRole } from "@loa/shared";
import type { Controls, Readings } from "./amp-body.js";
import { AMP_FAULT_NAMES, type AmpFaultName } from "./faults.js";
import type { RegisterSpace } from "./register-space.js";

/** A two-state control (power, mute) is on unless it holds its `off` value (0 when it names none). */
function isOn(reg: NamedRegister, raw: number): boolean {
  return reg.kind === "coil" || reg.kind === "discrete" ? raw !== 0 : raw !== (reg.values?.["off"] ?? 0);
}

function bitCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v >>>= 1) count += v & 1;
  return count;
}

/**
 * A model without a power role is always on; without volume it plays at full level; without zones every
 * line is driven.
 */
export function controlsOf(profile: AmpProfile, space: RegisterSpace): Controls {
  const reg = (role: ProfileRole): NamedRegister | undefined => roleRegister(profile, role);
  const power = reg("power");
  const volume = reg("volume");
  const mute = reg("mute");
  const zones = reg("zones");
  const allLines = zones?.max !== undefined ? zones.max : 0;
  return {
    switchedOn: power ? isOn(power, space.get(power.name)) : true,
    volumePct: volume ? Math.min(100, Math.max(0, rawToPercent(volume, space.get(volume.name)))) : 100,
    muted: mute ? isOn(mute, space.get(mute.name)) : false,
    zoneShare: zones && allLines > 0 ? bitCount(space.get(zones.name) & allLines) / bitCount(allLines) : 1,
  };
}

/** camelCase of a fault code: the conventional status bit name when the profile does not map it. */
function camel(code: string): string {
  return code.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Status bit index per fault (from `profile.faults`, else by the camelCase convention), plus `powered` and
 * `signalPresent` when the status register has them. Faults the profile cannot show have no entry.
 */
export function statusBitIndexes(profile: AmpProfile): ReadonlyMap<string, number> {
  const bits = roleRegister(profile, "status")?.bits ?? {};
  const out = new Map<string, number>();
  const codeToBit = new Map(Object.entries(profile.faults).map(([bit, code]) => [code, bit]));
  for (const fault of AMP_FAULT_NAMES) {
    const index = bits[codeToBit.get(fault) ?? camel(fault)];
    if (index !== undefined) out.set(fault, index);
  }
  for (const name of ["powered", "signalPresent"]) {
    const index = bits[name];
    if (index !== undefined) out.set(name, index);
  }
  return out;
}

export interface ReadingInputs {
  readings: Readings;
  statusBits: ReadonlyMap<string, number>;
  faults: ReadonlySet<AmpFaultName>;
  /** The status register's stored word: bits the simulator does not model stay as set there. */
  storedStatus: number;
  firmwareRaw: number;
}

/** The raw word of a reading role, or undefined for a register the model does not compute. */
export function readingRaw(profile: AmpProfile, name: string, inputs: ReadingInputs): number | undefined {
  const r = inputs.readings;
  const reg = profile.registers[name];
  if (!reg) return undefined;
  switch (roleOf(profile, name)) {
    case "status":
      return statusRaw(inputs);
    case "temperature":
      return toRaw(reg, r.temperatureC);
    case "supplyVoltage":
      return toRaw(reg, r.supplyVoltageV);
    case "outputCurrent":
      return toRaw(reg, r.outputCurrentMa);
    case "firmwareVersion":
      return inputs.firmwareRaw & 0xffff;
    default:
      return undefined;
  }
}

function roleOf(profile: AmpProfile, name: string): ProfileRole | undefined {
  const entry = Object.entries(profile.roles).find(([, reg]) => reg === name);
  return entry?.[0] as ProfileRole | undefined;
}

function statusRaw(inputs: ReadingInputs): number {
  let word = inputs.storedStatus;
  const set = (name: string, on: boolean): void => {
    const bit = inputs.statusBits.get(name);
    if (bit !== undefined && on) word |= 1 << bit;
    else if (bit !== undefined) word &= ~(1 << bit);
  };
  set("powered", inputs.readings.ready);
  set("signalPresent", inputs.readings.signalPresent);
  for (const fault of AMP_FAULT_NAMES) set(fault, inputs.faults.has(fault));
  return word & 0xffff;
}

/** Engineering value → raw word, rounded and clamped to what the register can hold (a reading never throws). */
function toRaw(reg: { scale?: number | undefined; signed?: boolean | undefined }, value: number): number {
  const word = Math.round(value / (reg.scale ?? 1));
  const [lo, hi] = reg.signed ? [-0x8000, 0x7fff] : [0, 0xffff];
  const clamped = Math.min(hi, Math.max(lo, word));
  return clamped < 0 ? clamped + 0x10000 : clamped;
}
