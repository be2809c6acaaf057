/**
 * The player's use of the amplifier (ARCHITECTURE §5): power on ahead of a play, volume, unmute at the start,
 * mute after, power off after idleOffS. Every command goes through one chain so a late powerOff can never
 * overtake a powerOn (the Modbus link does one request at a time anyway).
 */
import type { Clock, TimerHandle } from "@loa/shared";
import { errorMessage } from "@loa/shared";
import type { Logger } from "pino";
import type { Amplifier } from "../ports/amplifier.js";
import { Serial } from "../lib/serial.js";

export class AmpControl {
  private readonly serial = new Serial();
  private on = false;
  private poweredAt: number | undefined;
  private powering: Promise<boolean> | undefined;
  private volume: number | null = null;
  private unmuted = false;
  private idleTimer: TimerHandle | undefined;

  constructor(
    private readonly amp: Amplifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly idleOffMs: number,
  ) {}

  get warmupMs(): number {
    return this.amp.warmupMs;
  }

  get powered(): boolean {
    return this.on;
  }

  /** Clock time from which the amplifier passes audio (power-on + warm-up); undefined while off. */
  readyAt(): number | undefined {
    return this.on && this.poweredAt !== undefined ? this.poweredAt + this.amp.warmupMs : undefined;
  }

  /**
   * Power on if needed and, when `volume` is given, set it (still muted: powerOn mutes first).
   * Resolves true if this call powered the amplifier on (the caller then owes it warmupMs).
   */
  async prepare(volume: number | undefined): Promise<boolean> {
    this.cancelIdleOff();
    const poweredNow = await this.ensurePowered();
    if (volume !== undefined) await this.setVolume(volume);
    return poweredNow;
  }

  /** Just before a play's first sample: power (retry, if preparing failed), volume if it differs, unmute. */
  async startPlay(volume: number): Promise<void> {
    this.cancelIdleOff();
    await this.ensurePowered();
    await this.setVolume(volume);
    // Marked before the write: a rest() while it is on the line (the play withdrawn) queues its mute after it.
    this.unmuted = true;
    await this.run("unmute", () => this.amp.unmute());
  }

  /** After a play when nothing else plays: mute, and power off after idleOffMs unless `busy()` by then. */
  rest(busy: () => boolean): void {
    if (this.unmuted) {
      this.unmuted = false;
      this.run("mute", () => this.amp.mute()).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, "amp mute failed"));
    }
    if (!this.on && !this.powering) return;
    this.cancelIdleOff();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (!busy()) this.powerOff();
    }, this.idleOffMs);
  }

  cancelIdleOff(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
  }

  /** Agent stopping: mute, volume 0 (one write, muted), power off; each step best-effort (ARCHITECTURE §5 safety). */
  async shutdown(): Promise<void> {
    this.cancelIdleOff();
    for (const [name, op] of [
      ["mute", () => this.amp.mute()],
      ["setVolume", () => this.amp.setVolume(0)],
      ["powerOff", () => this.amp.powerOff()],
    ] as const) {
      await this.run(name, op).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, `amp ${name} at shutdown failed`));
    }
    this.on = false;
    this.volume = 0;
    this.unmuted = false;
  }

  private powerOff(): void {
    this.on = false;
    this.volume = null;
    this.run("powerOff", () => this.amp.powerOff()).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, "amp power off failed"));
  }

  private ensurePowered(): Promise<boolean> {
    if (this.on) return Promise.resolve(false);
    this.powering ??= this.run("powerOn", () => this.amp.powerOn())
      .then(() => {
        this.on = true;
        this.poweredAt = this.clock.now();
        this.unmuted = false;
        return true;
      })
      .finally(() => {
        this.powering = undefined;
      });
    return this.powering;
  }

  private async setVolume(volume: number): Promise<void> {
    if (this.volume === volume) return;
    try {
      await this.run("setVolume", () => this.amp.setVolume(volume));
      this.volume = volume;
    } catch (err) {
      this.volume = null;
      throw err;
    }
  }

  private run<T>(name: string, op: () => Promise<T>): Promise<T> {
    this.log.debug({ op: name }, "amp");
    return this.serial.run(op);
  }
}
