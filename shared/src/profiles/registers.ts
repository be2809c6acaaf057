/**
 * Turning profile data into Modbus requests and readings back into values, so the driver and the simulator
 * need no per-model code (ARCHITECTURE §5).
 */
import { LoaError } from "../errors.js";
import { ModbusLimits, type ModbusRequest } from "../modbus/types.js";
import type { AmpProfile, ProfileRole, RegisterDef, RegisterKind } from "./schema.js";

export type ProfileErrorCode = "profile_invalid" | "profile_not_found" | "profile_value" | "profile_role";

export class ProfileError extends LoaError {
  declare readonly code: ProfileErrorCode;
  constructor(code: ProfileErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}

export interface NamedRegister extends RegisterDef {
  name: string;
}

export function profileRegister(profile: AmpProfile, name: string): NamedRegister {
  const reg = profile.registers[name];
  if (!reg) throw new ProfileError("profile_role", `profile ${profile.id} has no register "${name}"`);
  return { ...reg, name };
}

/** The register playing `role`, or undefined when the model lacks it (a relay board has no volume). */
export function roleRegister(profile: AmpProfile, role: ProfileRole): NamedRegister | undefined {
  const name = profile.roles[role];
  return name === undefined ? undefined : profileRegister(profile, name);
}

export function hasCapability(profile: AmpProfile, role: ProfileRole): boolean {
  return profile.capabilities.includes(role) && profile.roles[role] !== undefined;
}

/** Raw 16-bit word (or 0/1 for a bit) → engineering value. */
export function rawToValue(reg: RegisterDef, raw: number): number {
  const word = reg.signed && raw >= 0x8000 ? raw - 0x10000 : raw;
  const value = word * (reg.scale ?? 1);
  // 0.1-scaled readings should print as 41.5, not 41.50000000000001.
  return reg.scale === undefined ? value : Number(value.toFixed(6));
}

/** Engineering value → raw word; throws ProfileError `profile_value` outside min/max or 16 bits. */
export function valueToRaw(reg: NamedRegister, value: number): number {
  if (!Number.isFinite(value)) throw new ProfileError("profile_value", `${reg.name}: ${value} is not a number`);
  if ((reg.min !== undefined && value < reg.min) || (reg.max !== undefined && value > reg.max)) {
    throw new ProfileError("profile_value", `${reg.name}: ${value} is outside ${reg.min ?? "-∞"}..${reg.max ?? "∞"}`, {
      register: reg.name,
      value,
    });
  }
  const word = Math.round(value / (reg.scale ?? 1));
  const [lo, hi] = reg.signed ? [-0x8000, 0x7fff] : [0, 0xffff];
  if (word < lo || word > hi) throw new ProfileError("profile_value", `${reg.name}: ${value} does not fit the register`);
  return word < 0 ? word + 0x10000 : word;
}

/** A named value of the register (`source` "fm" → 1), or the number itself when given one. */
export function namedRawValue(reg: NamedRegister, value: string | number): number {
  if (typeof value === "number") return value;
  const raw = reg.values?.[value];
  if (raw === undefined) {
    const known = Object.keys(reg.values ?? {}).join(", ") || "none";
    throw new ProfileError("profile_value", `${reg.name}: no value named "${value}" (known: ${known})`);
  }
  return raw;
}

/** Volume 0–100 % → the register's own range (min..max, 0..100 when absent). */
export function percentToRaw(reg: NamedRegister, percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  const lo = reg.min ?? 0;
  const hi = reg.max ?? 100;
  return valueToRaw(reg, lo + Math.round(((hi - lo) * p) / 100));
}

export function rawToPercent(reg: RegisterDef, raw: number): number {
  const lo = reg.min ?? 0;
  const hi = reg.max ?? 100;
  return hi === lo ? 0 : Math.round(((rawToValue(reg, raw) - lo) * 100) / (hi - lo));
}

export function registerBits(reg: RegisterDef, raw: number): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, bit] of Object.entries(reg.bits ?? {})) out[name] = ((raw >> bit) & 1) === 1;
  return out;
}

/** Fault codes (from `profile.faults`) whose status bits are set in `statusRaw`, in profile order. */
export function activeFaults(profile: AmpProfile, statusRaw: number): string[] {
  const status = roleRegister(profile, "status");
  if (!status) return [];
  const bits = registerBits(status, statusRaw);
  return Object.entries(profile.faults).flatMap(([bit, code]) => (bits[bit] ? [code] : []));
}

/** The request that writes `value` (engineering units, a named value, or on/off for a bit) to a register. */
export function profileWriteRequest(profile: AmpProfile, reg: NamedRegister, value: number | string | boolean): ModbusRequest {
  if (reg.access !== "rw") throw new ProfileError("profile_value", `${reg.name} is read-only`);
  const unitId = profile.unitId;
  if (reg.kind === "coil") return { kind: "writeCoil", unitId, address: reg.address, value: asBit(reg, value) };
  if (reg.kind !== "holding") throw new ProfileError("profile_value", `${reg.name} is a ${reg.kind}, not writable`);
  if (typeof value === "boolean") {
    const raw = value ? (reg.values?.["on"] ?? 1) : (reg.values?.["off"] ?? 0);
    return { kind: "writeSingle", unitId, address: reg.address, value: raw };
  }
  const raw = typeof value === "number" ? valueToRaw(reg, value) : namedRawValue(reg, value);
  return { kind: "writeSingle", unitId, address: reg.address, value: raw };
}

function asBit(reg: NamedRegister, value: number | string | boolean): boolean {
  if (typeof value === "boolean") return value;
  if (value === "on" || value === 1) return true;
  if (value === "off" || value === 0) return false;
  throw new ProfileError("profile_value", `${reg.name} is a coil: use true/false, 1/0 or "on"/"off"`);
}

/** One read covering neighbouring registers of one kind. */
export interface ReadBlock {
  kind: RegisterKind;
  address: number;
  quantity: number;
  registers: NamedRegister[];
}

const READ_KIND = { holding: "readHolding", input: "readInput", coil: "readCoils", discrete: "readDiscrete" } as const;

/**
 * Kind names are ASCII: a plain comparison, not localeCompare, whose first call maps ~3 MB of ICU collation
 * data into the receiver's RSS (docs/performance.md, footprint).
 */
function byKindThenAddress(a: NamedRegister, b: NamedRegister): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.address - b.address;
}

/**
 * Group the named registers into as few reads as possible: same kind, addresses at most `maxGap` apart,
 * within the per-request limit. Readings of loa-amp-v1 (input 16–20) become one FC 04 request.
 */
export function profileReadPlan(profile: AmpProfile, names: readonly string[], maxGap = 8): ReadBlock[] {
  const regs = names.map((n) => profileRegister(profile, n)).sort(byKindThenAddress);
  const blocks: ReadBlock[] = [];
  for (const reg of regs) {
    const last = blocks.at(-1);
    const limit = reg.kind === "holding" || reg.kind === "input" ? ModbusLimits.maxReadRegisters : ModbusLimits.maxReadBits;
    const end = last ? last.address + last.quantity : 0;
    if (last && last.kind === reg.kind && reg.address - end <= maxGap && reg.address + 1 - last.address <= limit) {
      last.quantity = Math.max(last.quantity, reg.address + 1 - last.address);
      last.registers.push(reg);
    } else {
      blocks.push({ kind: reg.kind, address: reg.address, quantity: 1, registers: [reg] });
    }
  }
  return blocks;
}

export function profileReadRequest(profile: AmpProfile, block: ReadBlock): ModbusRequest {
  return { kind: READ_KIND[block.kind], unitId: profile.unitId, address: block.address, quantity: block.quantity };
}

/** Raw words (or bits) of a block's reply → raw value per register name; bits become 0/1. */
export function blockValues(block: ReadBlock, data: readonly number[] | readonly boolean[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const reg of block.registers) {
    const v = data[reg.address - block.address];
    if (v === undefined) throw new ProfileError("profile_value", `reply too short for ${reg.name}`);
    out[reg.name] = typeof v === "boolean" ? Number(v) : v;
  }
  return out;
}
