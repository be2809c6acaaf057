/**
 * The simulator's control commands, one model for both control interfaces: text lines on stdin
 * (`fault over_temperature on`) and the local HTTP server (`POST /fault {"name":"over_temperature","on":true}`).
 * docs/amplifier.md, "The simulator", lists them.
 */
import { LoaError } from "@loa/shared";
import type { AmpEngine } from "../core/amp-engine.js";
import { SIM_FAULT_NAMES, isSimFaultName, type NoiseMode, type SimFaultName } from "../core/faults.js";

export type ControlCommand =
  | { op: "help" }
  | { op: "status" }
  | { op: "trace"; limit: number }
  | { op: "fault"; name: SimFaultName; on: boolean }
  | { op: "clear" }
  | { op: "slow"; ms: number }
  | { op: "noise"; rate: number; mode: NoiseMode }
  | { op: "signal"; level: number }
  | { op: "set"; register: string; raw: number };

export class ControlError extends LoaError {
  constructor(message: string) {
    super("control_invalid", message);
  }
}

export const CONTROL_HELP = [
  "status                         state of the amplifier (JSON)",
  "trace [N]                      last N register trace entries (default 20)",
  `fault NAME on|off              NAME: ${SIM_FAULT_NAMES.join(", ")}`,
  "clear                          clear every fault",
  "slow MS                        delay every reply by MS ms (0: off)",
  "noise RATE [corrupt|garbage]   damage a share RATE (0-1) of replies (0: off)",
  "signal on|off|LEVEL            what the receiver plays into the line input (LEVEL 0-1)",
  "set REGISTER RAW               store a raw value in a register (bypasses access checks)",
  "help                           this list",
].join("\n");

/** A number (or its text) within min..max; throws ControlError naming `what`. */
export function num(input: unknown, what: string, min: number, max: number): number {
  const value = typeof input === "number" ? input : typeof input === "string" && input.trim() !== "" ? Number(input) : NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ControlError(`${what} must be a number from ${min} to ${max}, not ${JSON.stringify(input) ?? "nothing"}`);
  }
  return value;
}

function onOff(text: string | undefined): boolean {
  if (text === "on" || text === "1" || text === "true") return true;
  if (text === "off" || text === "0" || text === "false") return false;
  throw new ControlError(`expected on or off, not "${text ?? ""}"`);
}

export function faultName(text: string | undefined): SimFaultName {
  if (text !== undefined && isSimFaultName(text)) return text;
  throw new ControlError(`unknown fault "${text ?? ""}"; known: ${SIM_FAULT_NAMES.join(", ")}`);
}

export function noiseMode(text: string | undefined): NoiseMode {
  if (text === undefined || text === "corrupt") return "corrupt";
  if (text === "garbage") return "garbage";
  throw new ControlError(`noise mode must be corrupt or garbage, not "${text}"`);
}

/** One text line → a command; throws ControlError with a message fit for the operator. */
export function parseCommandLine(line: string): ControlCommand {
  const [word, a, b, ...rest] = line.trim().split(/\s+/);
  const arity = (n: number): void => {
    const given = [a, b, ...rest].filter((w) => w !== undefined && w !== "").length;
    if (given > n) throw new ControlError(`${word ?? ""} takes at most ${n} argument(s)`);
  };
  switch (word) {
    case "help":
    case "status":
    case "clear":
      arity(0);
      return { op: word };
    case "trace":
      arity(1);
      return { op: "trace", limit: a === undefined ? 20 : num(a, "N", 1, 100_000) };
    case "fault":
      arity(2);
      return { op: "fault", name: faultName(a), on: onOff(b) };
    case "slow":
      arity(1);
      return { op: "slow", ms: num(a, "MS", 0, 600_000) };
    case "noise":
      arity(2);
      return { op: "noise", rate: num(a, "RATE", 0, 1), mode: noiseMode(b) };
    case "signal":
      arity(1);
      return { op: "signal", level: a === "on" || a === "off" ? Number(a === "on") : num(a, "LEVEL", 0, 1) };
    case "set":
      arity(2);
      if (a === undefined) throw new ControlError("set needs a register name");
      return { op: "set", register: a, raw: num(b, "RAW", 0, 0xffff) };
    default:
      throw new ControlError(`unknown command "${word ?? ""}"; try help`);
  }
}

/** Run a command; returns what to show (state, trace entries, help text or the state after a change). */
export function executeCommand(engine: AmpEngine, cmd: ControlCommand): unknown {
  switch (cmd.op) {
    case "help":
      return CONTROL_HELP;
    case "status":
      return engine.state();
    case "trace":
      return engine.trace().slice(-cmd.limit);
    case "fault":
      engine.setFault(cmd.name, cmd.on);
      break;
    case "clear":
      engine.clearFaults();
      break;
    case "slow":
      engine.setResponseDelay(cmd.ms);
      break;
    case "noise":
      engine.setNoise({ rate: cmd.rate, mode: cmd.mode });
      break;
    case "signal":
      engine.setSignal(cmd.level);
      break;
    case "set":
      try {
        engine.setRegister(cmd.register, cmd.raw);
      } catch (err) {
        throw new ControlError(err instanceof Error ? err.message : String(err));
      }
      break;
  }
  return engine.state();
}
