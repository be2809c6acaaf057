/**
 * The amplifier as the receiver's logic sees it (ARCHITECTURE §5). The real adapter drives Modbus RTU over
 * serialport; tests use the firmware simulator over an in-process stream or a PTY. Every method rejects
 * with an `AmpError` (code `amp_timeout`, `amp_crc`, `amp_exception`, `amp_unreachable`, ...) on failure.
 */
import { LoaError } from "@loa/shared";

/** Fault codes of loa-amp-v1, plus `unreachable` (the amplifier stopped answering; docs/decisions.md). */
export type KnownAmpFaultCode =
  | "over_temperature"
  | "output_short"
  | "speaker_line_open"
  | "mains_lost"
  | "fan_fault"
  | "unreachable";

/** A known code, or another snake_case code a profile's `faults` map declares for its own model. */
export type AmpFaultCode = KnownAmpFaultCode | (string & {});

/**
 * - amp_timeout: no (valid) reply after the bounded retries; the message names the request.
 * - amp_crc: replies kept arriving with a bad CRC through every retry.
 * - amp_exception: the amplifier refused the request; `exceptionCode` says why (01 illegal function,
 *   02 illegal data address, 03 illegal data value, 04 device failure).
 * - amp_unreachable: the serial line is down (adapter missing, unplugged, PTY gone).
 * - amp_invalid_value: a caller's value is outside what the model accepts; nothing was sent.
 */
export type AmpErrorCode = "amp_timeout" | "amp_crc" | "amp_exception" | "amp_unreachable" | "amp_invalid_value";

export interface AmpErrorInfo {
  unitId?: number;
  functionCode?: number;
  exceptionCode?: number;
  attempts?: number;
  [key: string]: unknown;
}

export class AmpError extends LoaError {
  declare readonly code: AmpErrorCode;
  /** For amp_exception: the Modbus exception code the amplifier answered. */
  readonly exceptionCode: number | undefined;

  constructor(code: AmpErrorCode, message: string, info: AmpErrorInfo = {}, options?: { cause?: unknown }) {
    super(code, message, info, options);
    this.exceptionCode = info.exceptionCode;
  }
}

export interface AmpStatus {
  reachable: boolean;
  powered: boolean;
  /** Powered long enough (warmupMs) to pass audio. */
  ready: boolean;
  muted: boolean | null;
  volume: number | null;
  signalPresent: boolean | null;
  temperatureC: number | null;
  supplyVoltageV: number | null;
  outputCurrentMa: number | null;
  faults: AmpFaultCode[];
  firmwareVersion: string | null;
  /** Selected input: its profile name ("line", "fm", "aux") or raw number; null/absent when not known. */
  source?: string | number | null;
  /** Speaker line outputs as a bitmask (bit0 = line 1); null/absent when the model has none. */
  zones?: number | null;
}

export interface Amplifier {
  /** Muted first, then power on; resolves when the write is acknowledged (warm-up runs on afterwards). */
  powerOn(): Promise<void>;
  /** Ramp down, mute, power off. */
  powerOff(): Promise<void>;
  /** Ramp from the current volume to `volume` (0-100) in small steps: soft start, never a jump. */
  setVolume(volume: number): Promise<void>;
  mute(): Promise<void>;
  unmute(): Promise<void>;
  readStatus(): Promise<AmpStatus>;
  /** Select the input by profile name ("line", "fm", "aux") or raw number; absent or no-op where the model has none. */
  selectSource?(source: string | number): Promise<void>;
  /** Switch the speaker line outputs (bitmask, bit0 = line 1); absent or no-op where the model has none. */
  setZones?(mask: number): Promise<void>;
  /** Warm-up time of this model, from its profile. */
  readonly warmupMs: number;
}
