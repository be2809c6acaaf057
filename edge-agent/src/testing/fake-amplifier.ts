/**
 * In-memory Amplifier for tests: records every call with the clock time, keeps power/mute/volume state and
 * fails on demand, so tests check the exact order and timing of amplifier commands.
 */
import { LoaError, type Clock } from "@loa/shared";
import type { AmpStatus, Amplifier } from "../ports/amplifier.js";

export type AmpOp = "powerOn" | "powerOff" | "setVolume" | "mute" | "unmute" | "readStatus";

export interface AmpCall {
  /** Clock time the call was made. */
  t: number;
  op: AmpOp;
  arg?: number;
  ok: boolean;
}

export interface FakeAmplifierDeps {
  clock: Clock;
  warmupMs?: number;
  /** Each call resolves this long after it is made (on the clock). Default 0. */
  latencyMs?: number;
}

export class FakeAmplifier implements Amplifier {
  readonly calls: AmpCall[] = [];
  readonly warmupMs: number;
  powered = false;
  muted = true;
  volume = 0;
  /** While true every call rejects with code amp_unreachable. */
  unreachable = false;
  private readonly failures = new Map<AmpOp, number>();
  private readonly clock: Clock;
  private readonly latencyMs: number;

  constructor(deps: FakeAmplifierDeps) {
    this.clock = deps.clock;
    this.warmupMs = deps.warmupMs ?? 1_500;
    this.latencyMs = deps.latencyMs ?? 0;
  }

  /** Make the next `times` calls of `op` reject. */
  failNext(op: AmpOp, times = 1): void {
    this.failures.set(op, (this.failures.get(op) ?? 0) + times);
  }

  /** Calls as compact strings, e.g. ["powerOn", "setVolume:70", "unmute"]. */
  ops(): string[] {
    return this.calls.map((c) => (c.arg === undefined ? c.op : `${c.op}:${c.arg}`));
  }

  /** Time of the first call of `op` (optionally with `arg`), or undefined. */
  timeOf(op: AmpOp, arg?: number): number | undefined {
    return this.calls.find((c) => c.op === op && (arg === undefined || c.arg === arg))?.t;
  }

  powerOn(): Promise<void> {
    return this.call("powerOn", undefined, () => {
      this.muted = true;
      this.powered = true;
    });
  }

  powerOff(): Promise<void> {
    return this.call("powerOff", undefined, () => {
      this.muted = true;
      this.powered = false;
    });
  }

  setVolume(volume: number): Promise<void> {
    return this.call("setVolume", volume, () => (this.volume = volume));
  }

  mute(): Promise<void> {
    return this.call("mute", undefined, () => (this.muted = true));
  }

  unmute(): Promise<void> {
    return this.call("unmute", undefined, () => (this.muted = false));
  }

  async readStatus(): Promise<AmpStatus> {
    await this.call("readStatus", undefined, () => undefined);
    return {
      reachable: true, powered: this.powered, ready: this.powered, muted: this.muted, volume: this.volume,
      signalPresent: null, temperatureC: 35, supplyVoltageV: 24, outputCurrentMa: 0, faults: [], firmwareVersion: "1.0",
    };
  }

  private async call(op: AmpOp, arg: number | undefined, apply: () => void): Promise<void> {
    const left = this.failures.get(op) ?? 0;
    const fail = this.unreachable || left > 0;
    if (left > 0) this.failures.set(op, left - 1);
    this.calls.push({ t: this.clock.now(), op, ...(arg === undefined ? {} : { arg }), ok: !fail });
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    if (fail) throw new LoaError("amp_unreachable", `fake amplifier: ${op} failed (no answer)`);
    apply();
  }
}
