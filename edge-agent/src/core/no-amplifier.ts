/**
 * The receiver without an amplifier it can drive (`amp.transport: "none"`): the line-out feeds an amplifier
 * that is switched by hand or always on. Every command succeeds without doing anything, there is no warm-up,
 * and no status is polled, so no amp_fault is ever reported for it.
 */
import type { AmpStatus, Amplifier } from "../ports/amplifier.js";

export class NoAmplifier implements Amplifier {
  readonly warmupMs = 0;

  powerOn(): Promise<void> {
    return Promise.resolve();
  }

  powerOff(): Promise<void> {
    return Promise.resolve();
  }

  setVolume(): Promise<void> {
    return Promise.resolve();
  }

  mute(): Promise<void> {
    return Promise.resolve();
  }

  unmute(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to read: not reachable, no faults (the monitor is not run for it). */
  readStatus(): Promise<AmpStatus> {
    return Promise.resolve({
      reachable: false, powered: false, ready: false, muted: null, volume: null, signalPresent: null,
      temperatureC: null, supplyVoltageV: null, outputCurrentMa: null, faults: [], firmwareVersion: null,
    });
  }
}
