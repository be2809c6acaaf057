/**
 * The profile's register map as a slave sees it (ARCHITECTURE §5): which addresses exist, which are writable,
 * which values they take, and the raw words stored in the writable (and otherwise unmodelled) registers.
 *
 * Address rules, the same for every profile:
 * - a read must lie inside the span from the lowest to the highest address the profile defines for that kind;
 *   gaps inside the span read 0 (so a driver may cover neighbours with one request), anything outside is
 *   exception 02 (illegal data address);
 * - a write must hit registers the profile defines as `rw`; an undefined or read-only address is exception 02;
 * - a written value outside the register's min..max (engineering units), or not one of its named `values`
 *   when it has no limits, is exception 03 (illegal data value).
 */
import {
  ModbusError,
  ModbusExceptionCode,
  rawToValue,
  valueToRaw,
  type AmpProfile,
  type NamedRegister,
  type RegisterKind,
} from "@loa/shared";

export type WritableKind = "holding" | "coil";

function slaveException(exceptionCode: number, message: string): ModbusError {
  return new ModbusError("modbus_range", message, { exceptionCode });
}

export class RegisterSpace {
  private readonly byKind = new Map<RegisterKind, Map<number, NamedRegister>>();
  private readonly stored = new Map<string, number>();

  constructor(profile: AmpProfile, initial: Readonly<Record<string, number>> = {}) {
    for (const [name, def] of Object.entries(profile.registers)) {
      const reg: NamedRegister = { ...def, name };
      let map = this.byKind.get(def.kind);
      if (!map) this.byKind.set(def.kind, (map = new Map()));
      map.set(def.address, reg);
      this.stored.set(name, defaultRaw(reg, profile.roles.zones === name));
    }
    for (const [name, raw] of Object.entries(initial)) {
      if (!this.stored.has(name)) throw new ModbusError("modbus_range", `profile ${profile.id} has no register "${name}"`);
      this.stored.set(name, raw);
    }
  }

  /** The raw word (or 0/1 of a bit) stored in a register; computed readings are not stored here. */
  get(name: string): number {
    return this.stored.get(name) ?? 0;
  }

  set(name: string, raw: number): void {
    this.stored.set(name, raw);
  }

  /** Throws ModbusError `modbus_range` when the profile has no register of that name. */
  checkName(name: string): void {
    if (!this.stored.has(name)) throw new ModbusError("modbus_range", `the profile has no register "${name}"`);
  }

  /** Raw values of `quantity` addresses from `address`; `compute` supplies readings, else the stored word. */
  read(kind: RegisterKind, address: number, quantity: number, compute: (reg: NamedRegister) => number | undefined): number[] {
    const map = this.byKind.get(kind);
    const addresses = map ? [...map.keys()] : [];
    const lo = Math.min(...addresses);
    const hi = Math.max(...addresses);
    if (!map || address < lo || address + quantity - 1 > hi) {
      throw slaveException(ModbusExceptionCode.illegalDataAddress, `no ${kind} registers at ${address}..${address + quantity - 1}`);
    }
    const out: number[] = [];
    for (let a = address; a < address + quantity; a++) {
      const reg = map.get(a);
      out.push(reg === undefined ? 0 : (compute(reg) ?? this.get(reg.name)));
    }
    return out;
  }

  /**
   * Check a write of `raws` to consecutive addresses from `address`, all or nothing: returns the registers to
   * store into, or throws ModbusError `modbus_range` carrying exception 02 or 03.
   */
  checkWrite(kind: WritableKind, address: number, raws: readonly number[]): NamedRegister[] {
    const map = this.byKind.get(kind);
    const regs = raws.map((_, i) => {
      const reg = map?.get(address + i);
      if (reg?.access !== "rw") {
        const why = reg === undefined ? "no" : "read-only";
        throw slaveException(ModbusExceptionCode.illegalDataAddress, `${why} writable ${kind} register at ${address + i}`);
      }
      return reg;
    });
    regs.forEach((reg, i) => checkValue(reg, raws[i] ?? 0));
    return regs;
  }
}

function checkValue(reg: NamedRegister, raw: number): void {
  if (reg.kind === "coil") return;
  const value = rawToValue(reg, raw);
  const outside = (reg.min !== undefined && value < reg.min) || (reg.max !== undefined && value > reg.max);
  const unnamed = reg.min === undefined && reg.max === undefined && reg.values !== undefined && !Object.values(reg.values).includes(raw);
  if (outside || unnamed) {
    throw slaveException(ModbusExceptionCode.illegalDataValue, `${reg.name}: ${value} is not a legal value`);
  }
}

/** Power-on contents: every speaker line enabled, everything else at its minimum (0 when unbounded). */
function defaultRaw(reg: NamedRegister, isZones: boolean): number {
  if (reg.kind === "coil" || reg.kind === "discrete") return 0;
  if (isZones && reg.max !== undefined) return valueToRaw(reg, reg.max);
  if (reg.min !== undefined && reg.min > 0) return valueToRaw(reg, reg.min);
  return 0;
}
