/**
 * Watches the amplifier (ARCHITECTURE §5): reads its status every `intervalMs` and turns changes into the
 * §3 events `amp_fault{code, detail}` and `amp_recovered{code}`, once per change (a fault that stays raised
 * is reported once, not at every poll). After `unreachableAfter` failed polls in a row it reports
 * `amp_fault{code:"unreachable"}` once, and `amp_recovered{code:"unreachable"}` when the amplifier answers
 * again. The last status is kept for telemetry (`status`, `health()`).
 */
import { errorMessage, isLoaError, type AmpHealth, type Clock, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { AmpFaultCode, AmpStatus, Amplifier } from "../ports/amplifier.js";

export type AmpMonitorEvent =
  | { type: "amp_fault"; code: AmpFaultCode; detail: string }
  | { type: "amp_recovered"; code: AmpFaultCode };

export interface AmpMonitorOptions {
  /** Time between two polls (from the end of one to the start of the next). */
  intervalMs: number;
  /** Failed polls in a row before the amplifier counts as unreachable. */
  unreachableAfter: number;
}

export const DEFAULT_AMP_MONITOR_OPTIONS: AmpMonitorOptions = { intervalMs: 5_000, unreachableAfter: 3 };

export interface AmpMonitorDeps {
  amp: Pick<Amplifier, "readStatus">;
  clock: Clock;
  log: Logger;
  /** Receives each event; may return a promise (the outbox); rejections are logged, never thrown. */
  emit: (event: AmpMonitorEvent) => void | Promise<void>;
  options?: Partial<AmpMonitorOptions>;
}

const UNREACHABLE: AmpFaultCode = "unreachable";

export class AmpMonitor {
  readonly options: AmpMonitorOptions;
  private readonly deps: AmpMonitorDeps;
  private last: AmpStatus | undefined;
  /** Faults reported with amp_fault and not yet recovered. */
  private readonly raised = new Set<AmpFaultCode>();
  private failures = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight: Promise<AmpStatus | undefined> | undefined;

  constructor(deps: AmpMonitorDeps) {
    this.deps = deps;
    this.options = { ...DEFAULT_AMP_MONITOR_OPTIONS, ...deps.options };
  }

  /** The last status read, or the unreachable status; undefined before the first poll ended. */
  get status(): AmpStatus | undefined {
    return this.last;
  }

  /** Faults currently reported as raised (amp_fault sent, amp_recovered not yet). */
  get faults(): AmpFaultCode[] {
    return [...this.raised];
  }

  /** The telemetry `amp` block (ARCHITECTURE §3): unknown values are left out. */
  health(): AmpHealth {
    return toAmpHealth(this.last);
  }

  /** Poll now, then every intervalMs until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One poll now (shares a poll already running). Resolves with the status read, or undefined on failure. */
  poll(): Promise<AmpStatus | undefined> {
    this.inFlight ??= this.pollOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private schedule(ms: number): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.poll().then(() => {
        if (this.running && !this.timer) this.schedule(this.options.intervalMs);
      });
    }, ms);
  }

  private async pollOnce(): Promise<AmpStatus | undefined> {
    let status: AmpStatus;
    try {
      status = await this.deps.amp.readStatus();
    } catch (err) {
      this.failed(err);
      return undefined;
    }
    this.answered(status);
    return status;
  }

  private answered(status: AmpStatus): void {
    this.failures = 0;
    const previous = this.last;
    this.last = status;
    if (this.raised.has(UNREACHABLE)) this.recovered(UNREACHABLE);
    const now = new Set(status.faults);
    for (const code of [...this.raised]) if (!now.has(code)) this.recovered(code);
    for (const code of status.faults) if (!this.raised.has(code)) this.fault(code, faultDetail(code, status));
    if (previous && previous.powered !== status.powered) this.deps.log.info({ powered: status.powered }, "amplifier power changed");
  }

  private failed(err: unknown): void {
    this.failures++;
    const why = isLoaError(err) ? `${err.message} (${err.code})` : errorMessage(err);
    this.deps.log.debug({ failures: this.failures, err: why }, "amplifier poll failed");
    if (this.failures < this.options.unreachableAfter || this.raised.has(UNREACHABLE)) return;
    // Faults seen before stay raised: nobody can tell whether they cleared while the amplifier is silent.
    this.last = unreachableStatus([...this.raised, UNREACHABLE]);
    this.fault(UNREACHABLE, `no answer to ${this.failures} status polls in a row: ${why}`);
  }

  private fault(code: AmpFaultCode, detail: string): void {
    this.raised.add(code);
    this.deps.log.warn({ code, detail }, "amplifier fault");
    this.send({ type: "amp_fault", code, detail });
  }

  private recovered(code: AmpFaultCode): void {
    this.raised.delete(code);
    this.deps.log.info({ code }, "amplifier fault cleared");
    this.send({ type: "amp_recovered", code });
  }

  private send(event: AmpMonitorEvent): void {
    try {
      const done = this.deps.emit(event);
      if (done) done.catch((err: unknown) => this.deps.log.error({ err: errorMessage(err), event }, "emitting amplifier event failed"));
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err), event }, "emitting amplifier event failed");
    }
  }
}

function unreachableStatus(faults: AmpFaultCode[]): AmpStatus {
  return {
    reachable: false, powered: false, ready: false, muted: null, volume: null, signalPresent: null, temperatureC: null,
    supplyVoltageV: null, outputCurrentMa: null, faults, firmwareVersion: null, source: null, zones: null,
  };
}

/** What an operator wants to see next to the code: the readings that explain it. */
export function faultDetail(code: AmpFaultCode, s: AmpStatus): string {
  const parts = [
    s.temperatureC === null ? undefined : `temperature ${s.temperatureC} °C`,
    s.supplyVoltageV === null ? undefined : `supply ${s.supplyVoltageV} V`,
    s.outputCurrentMa === null ? undefined : `output ${s.outputCurrentMa} mA`,
    `powered ${s.powered ? "on" : "off"}`,
  ].filter((p): p is string => p !== undefined);
  return `${code.replaceAll("_", " ")} reported by the amplifier (${parts.join(", ")})`;
}

/** AmpStatus → the telemetry `amp` block: nulls are left out, `reachable` and `faults` always present. */
export function toAmpHealth(s: AmpStatus | undefined): AmpHealth {
  if (!s) return { reachable: false, faults: [] };
  const h: AmpHealth = { reachable: s.reachable, faults: [...s.faults] };
  if (!s.reachable) return h;
  h.powered = s.powered;
  if (s.muted !== null) h.muted = s.muted;
  if (s.volume !== null) h.volume = s.volume;
  if (s.temperatureC !== null) h.temperatureC = s.temperatureC;
  if (s.signalPresent !== null) h.signal = s.signalPresent;
  if (s.supplyVoltageV !== null) h.supplyV = s.supplyVoltageV;
  if (s.outputCurrentMa !== null) h.outputMa = s.outputCurrentMa;
  if (s.firmwareVersion !== null) h.firmware = s.firmwareVersion;
  return h;
}
