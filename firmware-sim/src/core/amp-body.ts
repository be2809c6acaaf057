/**
 * The physical side of the simulated amplifier: switched on or off, warm-up, input signal, faults and the
 * first-order thermal model, integrated lazily on the clock (exact for the piecewise-constant conditions
 * between two changes, so no ticking timer is needed and a FakeClock drives it precisely).
 */
import type { Clock } from "@loa/shared";
import type { AmpFaultName } from "./faults.js";
import { outputAllowed, outputCurrentMa, stepTemperatureC, supplyVoltageV, targetTemperatureC, type AmpPhysics, type Conditions } from "./physics.js";

/** What the control registers say, as the output stage needs it. */
export interface Controls {
  switchedOn: boolean;
  /** 0–100. */
  volumePct: number;
  muted: boolean;
  /** Share (0–1) of the speaker lines switched on. */
  zoneShare: number;
}

export interface Readings {
  ready: boolean;
  signalPresent: boolean;
  playing: boolean;
  temperatureC: number;
  supplyVoltageV: number;
  outputCurrentMa: number;
}

export class AmpBody {
  private temperatureC: number;
  private settledAt: number;
  private onAt: number | undefined;
  private signal = 0;
  private controls: Controls = { switchedOn: false, volumePct: 100, muted: false, zoneShare: 1 };
  private readonly faultSet = new Set<AmpFaultName>();

  constructor(
    private readonly physics: AmpPhysics,
    private readonly clock: Clock,
    readonly warmupMs: number,
  ) {
    this.temperatureC = physics.ambientC;
    this.settledAt = clock.now();
  }

  get faults(): ReadonlySet<AmpFaultName> {
    return this.faultSet;
  }

  get signalLevel(): number {
    return this.signal;
  }

  /** Time switched on, or undefined when off. */
  get switchedOnAt(): number | undefined {
    return this.onAt;
  }

  setControls(next: Controls): void {
    this.settle();
    if (next.switchedOn && !this.controls.switchedOn) this.onAt = this.clock.now();
    if (!next.switchedOn) this.onAt = undefined;
    this.controls = { ...next };
  }

  setSignal(level: number): void {
    this.settle();
    this.signal = Math.min(1, Math.max(0, level));
  }

  setFault(name: AmpFaultName, on: boolean): void {
    this.settle();
    if (on) this.faultSet.add(name);
    else this.faultSet.delete(name);
    // An over-temperature trip means the heatsink is already hot, not that it starts heating now.
    if (on && name === "over_temperature") this.temperatureC = Math.max(this.temperatureC, this.physics.overTemperatureC);
  }

  readings(): Readings {
    this.settle();
    const now = this.clock.now();
    const ready = this.isReady(now);
    const c = this.conditions(ready);
    return {
      ready,
      signalPresent: ready && this.signal > 0,
      playing: c.load > 0,
      temperatureC: this.temperatureC,
      supplyVoltageV: supplyVoltageV(this.physics, c),
      outputCurrentMa: outputCurrentMa(this.physics, c),
    };
  }

  private isReady(at: number): boolean {
    return this.onAt !== undefined && at - this.onAt >= this.warmupMs;
  }

  private conditions(ready: boolean): Conditions {
    const { switchedOn, volumePct, muted, zoneShare } = this.controls;
    const drives = ready && !muted && outputAllowed(this.faultSet);
    return { switchedOn, load: drives ? (this.signal * volumePct * zoneShare) / 100 : 0, faults: this.faultSet };
  }

  /** Integrate the temperature up to now; readiness is the only change that happens on its own. */
  private settle(): void {
    const now = this.clock.now();
    const readyAt = this.onAt === undefined ? undefined : this.onAt + this.warmupMs;
    if (readyAt !== undefined && readyAt > this.settledAt && readyAt <= now) this.integrate(readyAt, false);
    this.integrate(now, this.isReady(now));
  }

  private integrate(to: number, ready: boolean): void {
    const target = targetTemperatureC(this.physics, this.conditions(ready));
    this.temperatureC = stepTemperatureC(this.physics, this.temperatureC, target, to - this.settledAt);
    this.settledAt = to;
  }
}
