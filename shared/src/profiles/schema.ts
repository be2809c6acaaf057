/**
 * Amplifier profiles (ARCHITECTURE §5): the register map of an amplifier model as data, so a new model is a
 * new JSON file, not new code. `roles` tells the driver which register does what; `faults` turns status bits
 * into the snake_case codes of `amp_fault` events (ARCHITECTURE §3).
 */
import { z } from "zod";
import { ProfileId } from "../protocol/status.js";

const Name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be a name of letters, digits and _");
const FaultCode = z.string().regex(/^[a-z0-9_]{1,64}$/, "must be a snake_case fault code");
const U16 = z.number().int().min(0).max(0xffff);

export const RegisterKind = z.enum(["holding", "input", "coil", "discrete"]);
export type RegisterKind = z.infer<typeof RegisterKind>;

export const RegisterDef = z.strictObject({
  kind: RegisterKind,
  address: U16,
  access: z.enum(["r", "rw"]),
  description: z.string().max(500).optional(),
  /** Engineering value = raw × scale (temperature 0.1 °C → scale 0.1). */
  scale: z.number().positive().optional(),
  unit: z.string().max(16).optional(),
  /** Raw word is two's complement (negative temperatures). */
  signed: z.boolean().optional(),
  /** Limits in engineering units; writes outside are refused before they reach the wire. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** Bit fields of a status word: name → bit index 0–15. */
  bits: z.record(Name, z.number().int().min(0).max(15)).optional(),
  /** Named raw values (source: {line: 0, fm: 1, aux: 2}; power: {off: 0, on: 1}). */
  values: z.record(Name, U16).optional(),
});
export type RegisterDef = z.infer<typeof RegisterDef>;

/** What the driver does with registers. Control roles need writable registers. */
export const ControlRole = z.enum(["power", "volume", "mute", "source", "zones"]);
export const ReadingRole = z.enum(["status", "temperature", "supplyVoltage", "outputCurrent", "firmwareVersion"]);
export const ProfileRole = z.enum([...ControlRole.options, ...ReadingRole.options]);
export type ProfileRole = z.infer<typeof ProfileRole>;

export const SerialSettings = z.strictObject({
  baud: z.number().int().min(300).max(921_600).default(9600),
  parity: z.enum(["none", "even", "odd"]).default("none"),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});
export type SerialSettings = z.infer<typeof SerialSettings>;

const ProfileShape = z.strictObject({
  /** The id devices announce in their birth message (ARCHITECTURE §3 status). */
  id: ProfileId,
  name: z.string().min(1).max(200),
  description: z.string().max(4000).optional(),
  unitId: z.number().int().min(1).max(247).default(1),
  serial: SerialSettings.default({ baud: 9600, parity: "none", dataBits: 8, stopBits: 1 }),
  /** Time from power-on until the amplifier passes sound cleanly. */
  warmupMs: z.number().int().min(0).max(120_000).default(1500),
  registers: z.record(Name, RegisterDef),
  /** role → register name. */
  roles: z.partialRecord(ProfileRole, Name).default({}),
  /** Status bit name → fault code reported in amp_fault / telemetry while the bit is set. */
  faults: z.record(Name, FaultCode).default({}),
  /** What the driver may do; absent means every role the profile defines. */
  capabilities: z.array(ProfileRole).optional(),
});

type Issue = { path: (string | number)[]; message: string };

export const AmpProfile = ProfileShape.superRefine((p, ctx) => {
  const issues = [...registerIssues(p.registers), ...roleIssues(p), ...faultIssues(p), ...capabilityIssues(p)];
  for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
}).transform((p) => ({ ...p, capabilities: p.capabilities ?? (Object.keys(p.roles) as ProfileRole[]) }));
export type AmpProfile = z.output<typeof AmpProfile>;
export type AmpProfileInput = z.input<typeof AmpProfile>;

function registerIssues(registers: Record<string, RegisterDef>): Issue[] {
  const issues: Issue[] = [];
  const taken = new Map<string, string>();
  for (const [name, reg] of Object.entries(registers)) {
    const at = (key: string, message: string): void => void issues.push({ path: ["registers", name, key], message });
    const slot = `${reg.kind}:${reg.address}`;
    const other = taken.get(slot);
    if (other !== undefined) at("address", `${reg.kind} ${reg.address} is already register "${other}"`);
    taken.set(slot, name);
    if ((reg.kind === "input" || reg.kind === "discrete") && reg.access === "rw") at("access", `${reg.kind} registers are read-only`);
    if (reg.kind === "coil" || reg.kind === "discrete") {
      for (const key of ["scale", "signed", "min", "max", "bits", "values"] as const) {
        if (reg[key] !== undefined) at(key, `a ${reg.kind} is one bit; ${key} does not apply`);
      }
    }
    if (reg.min !== undefined && reg.max !== undefined && reg.min > reg.max) at("min", `min ${reg.min} is above max ${reg.max}`);
    const used = new Map<number, string>();
    for (const [bit, index] of Object.entries(reg.bits ?? {})) {
      const twin = used.get(index);
      if (twin !== undefined) issues.push({ path: ["registers", name, "bits", bit], message: `bit ${index} is already "${twin}"` });
      used.set(index, bit);
    }
  }
  return issues;
}

function roleIssues(p: z.infer<typeof ProfileShape>): Issue[] {
  const issues: Issue[] = [];
  for (const [role, name] of Object.entries(p.roles)) {
    const at = (message: string): void => void issues.push({ path: ["roles", role], message });
    const reg = p.registers[name];
    if (!reg) {
      at(`register "${name}" is not defined in registers`);
      continue;
    }
    const control = (ControlRole.options as string[]).includes(role);
    if (control && reg.access !== "rw") at(`${role} must be a writable register ("${name}" is read-only)`);
    const wordOnly = role !== "power" && role !== "mute";
    if (wordOnly && (reg.kind === "coil" || reg.kind === "discrete")) at(`${role} needs a 16-bit register, "${name}" is a ${reg.kind}`);
    if (role === "status" && !reg.bits) at(`status register "${name}" needs bits`);
  }
  return issues;
}

function faultIssues(p: z.infer<typeof ProfileShape>): Issue[] {
  const status = p.roles.status === undefined ? undefined : p.registers[p.roles.status];
  return Object.keys(p.faults)
    .filter((bit) => status?.bits?.[bit] === undefined)
    .map((bit) => ({ path: ["faults", bit], message: `"${bit}" is not a bit of the status register (roles.status)` }));
}

function capabilityIssues(p: z.infer<typeof ProfileShape>): Issue[] {
  return (p.capabilities ?? []).flatMap((cap, i) =>
    p.roles[cap] === undefined ? [{ path: ["capabilities", i], message: `capability "${cap}" needs roles.${cap}` }] : [],
  );
}
