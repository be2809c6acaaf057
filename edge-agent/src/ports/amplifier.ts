/**
 * The amplifier as the receiver's logic sees it (ARCHITECTURE §5). The real adapter drives Modbus RTU over
 * serialport; tests use the firmware simulator over an in-process stream or a PTY. Every method rejects
 * with an `AmpError` (code `amp_timeout`, `amp_crc`, `amp_exception`, `amp_unreachable`, ...) on failure.
 */
export type AmpFaultCode =
  | "over_temperature"
  | "output_short"
  | "speaker_line_open"
  | "mains_lost"
  | "fan_fault"
  | "unreachable";

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
  /** Warm-up time of this model, from its profile. */
  readonly warmupMs: number;
}

export interface AmpEvents {
  amp_fault: { code: AmpFaultCode; detail: string };
  amp_recovered: { code: AmpFaultCode };
}
