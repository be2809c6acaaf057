/**
 * A small physical model of a public-address amplifier, so the readings of ARCHITECTURE §5 (temperature,
 * supply voltage, output current) move the way a real one's do. Pure functions; the engine feeds them the
 * operating conditions and the elapsed time.
 */
import type { AmpFaultName } from "./faults.js";

export interface AmpPhysics {
  /** Air around the cabinet (a village in Vietnam: 30 °C). */
  ambientC: number;
  /** Rise above ambient once powered, silent (bias current, transformer). */
  idleRiseC: number;
  /** Extra rise at full load (full volume, full signal, every line). */
  loadRiseC: number;
  /** A dead fan multiplies the rise above ambient by this. */
  fanFaultFactor: number;
  /** What an amplifier in over-temperature reads at least. */
  overTemperatureC: number;
  /** First-order thermal time constant: 63 % of a step in this time. */
  thermalTauMs: number;
  /** DC supply on mains (a 24 V public-address amplifier). */
  mainsSupplyV: number;
  /** Backup battery voltage while mains is lost. */
  batterySupplyV: number;
  /** Supply sag per ampere drawn (wiring and source resistance). */
  sagVPerA: number;
  /** Current of a powered, silent amplifier. */
  quiescentMa: number;
  /** Extra current at full load. */
  fullLoadMa: number;
}

export const DEFAULT_PHYSICS: Readonly<AmpPhysics> = {
  ambientC: 30,
  idleRiseC: 10,
  loadRiseC: 25,
  fanFaultFactor: 1.8,
  overTemperatureC: 90,
  thermalTauMs: 120_000,
  mainsSupplyV: 24,
  batterySupplyV: 22.8,
  sagVPerA: 0.3,
  quiescentMa: 150,
  fullLoadMa: 3000,
};

/** What the amplifier is doing at one moment. */
export interface Conditions {
  /** Switched on (the power register), warm or not. */
  switchedOn: boolean;
  /** Load 0–1 delivered to the speaker lines: signal × volume × share of lines, 0 when muted or protected. */
  load: number;
  faults: ReadonlySet<AmpFaultName>;
}

/** Temperature the amplifier settles at under constant conditions. */
export function targetTemperatureC(p: AmpPhysics, c: Conditions): number {
  if (c.faults.has("over_temperature")) return Math.max(p.overTemperatureC, p.ambientC);
  if (!c.switchedOn) return p.ambientC;
  const rise = p.idleRiseC + p.loadRiseC * c.load;
  return p.ambientC + rise * (c.faults.has("fan_fault") ? p.fanFaultFactor : 1);
}

/** First-order step: exact for conditions constant over `dtMs`. */
export function stepTemperatureC(p: AmpPhysics, fromC: number, targetC: number, dtMs: number): number {
  if (dtMs <= 0) return fromC;
  return targetC + (fromC - targetC) * Math.exp(-dtMs / p.thermalTauMs);
}

/** Output stage current: 0 when off or shut down by a short; quiescent plus load otherwise. */
export function outputCurrentMa(p: AmpPhysics, c: Conditions): number {
  if (!c.switchedOn || c.faults.has("output_short")) return 0;
  return Math.round(p.quiescentMa + p.fullLoadMa * c.load);
}

export function supplyVoltageV(p: AmpPhysics, c: Conditions): number {
  const source = c.faults.has("mains_lost") ? p.batterySupplyV : p.mainsSupplyV;
  return source - (p.sagVPerA * outputCurrentMa(p, c)) / 1000;
}

/**
 * Whether the output stage may drive the lines: protection cuts it on a short or over-temperature, and an
 * open speaker line carries no load.
 */
export function outputAllowed(faults: ReadonlySet<AmpFaultName>): boolean {
  return !faults.has("output_short") && !faults.has("over_temperature") && !faults.has("speaker_line_open");
}
