/**
 * Faults the simulator can inject while it runs (ARCHITECTURE §5). Amplifier faults set the status bits of the
 * profile (`profile.faults` maps a status bit to the same snake_case code the driver reports in `amp_fault`);
 * line faults change how (or whether) the slave answers.
 */

/** Faults of the amplifier itself: each sets a status bit and changes the physics. */
export const AMP_FAULT_NAMES = ["over_temperature", "output_short", "speaker_line_open", "mains_lost", "fan_fault"] as const;
export type AmpFaultName = (typeof AMP_FAULT_NAMES)[number];

/**
 * Faults of the serial line: `no_response` stays silent, `slow_response` delays every reply,
 * `crc_noise` corrupts replies (or puts garbage bytes before them).
 */
export const LINE_FAULT_NAMES = ["no_response", "slow_response", "crc_noise"] as const;
export type LineFaultName = (typeof LINE_FAULT_NAMES)[number];

export const SIM_FAULT_NAMES = [...AMP_FAULT_NAMES, ...LINE_FAULT_NAMES] as const;
export type SimFaultName = AmpFaultName | LineFaultName;

export function isSimFaultName(name: string): name is SimFaultName {
  return (SIM_FAULT_NAMES as readonly string[]).includes(name);
}

export function isAmpFaultName(name: string): name is AmpFaultName {
  return (AMP_FAULT_NAMES as readonly string[]).includes(name);
}

/**
 * How `crc_noise` damages the line:
 * - "corrupt": one bit of one reply byte flips, so the master sees a CRC error and must retry;
 * - "garbage": 1–4 random bytes precede an intact reply, so the master's parser must resynchronise.
 */
export type NoiseMode = "corrupt" | "garbage";

export interface NoiseSettings {
  /** Probability (0–1) that a reply is hit; 0 turns the noise off, 1 hits every reply. */
  rate: number;
  mode: NoiseMode;
}

/** Delay of `slow_response` when switched on without a value. */
export const DEFAULT_SLOW_RESPONSE_MS = 300;
