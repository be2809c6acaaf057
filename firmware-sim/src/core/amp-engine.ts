/**
 * AmpEngine: an amplifier's firmware, driven by any profile (ARCHITECTURE §5). It answers Modbus requests
 * from its register map, warms up after power-on, heats while it plays, and takes injected faults. Pure
 * logic on the Clock port: ModbusSlave puts it on a byte stream.
 *
 * Decisions (docs/amplifier.md, "The simulator"):
 * - status bit `powered` is set only once `warmupMs` have passed since power-on; the power register reads
 *   back 1 at once, so a driver tells "switched on" (register) from "ready" (bit);
 * - unknown function → 01; undefined address or a write to a read-only register → 02; illegal value → 03;
 * - another unit id is ignored; unit 0 (broadcast) writes are applied and never answered;
 * - under `no_response` requests are neither applied nor answered (a dead controller or a cut line).
 */
import {
  ModbusError,
  ModbusExceptionCode,
  decodeRequest,
  encodeResponse,
  functionCodeOf,
  type AmpProfile,
  type Clock,
  type ModbusReply,
  type ModbusRequest,
} from "@loa/shared";
import type { Logger } from "pino";
import { AmpBody } from "./amp-body.js";
import { controlsOf, readingRaw, statusBitIndexes } from "./amp-registers.js";
import { DEFAULT_SLOW_RESPONSE_MS, isAmpFaultName, type NoiseSettings, type SimFaultName } from "./faults.js";
import { applyNoise } from "./line-noise.js";
import { DEFAULT_PHYSICS, type AmpPhysics } from "./physics.js";
import { RegisterSpace } from "./register-space.js";
import { Trace, replyEntry, requestEntry, type TraceEntry, type TraceListener, type TraceNote } from "./trace.js";

export interface AmpEngineDeps {
  profile: AmpProfile;
  clock: Clock;
  /** Unit id this amplifier answers to; default the profile's `unitId`. */
  unitId?: number;
  log?: Logger;
  /** Overrides of the thermal and electrical model. */
  physics?: Partial<AmpPhysics>;
  /** Reported in the firmwareVersion register as major*256+minor; default 1.0. */
  firmwareVersion?: { major: number; minor: number };
  /** Raw register contents at start, by register name (default: lines all on, the rest at minimum). */
  initialRegisters?: Record<string, number>;
  /** Source of randomness for `crc_noise`; default Math.random. */
  random?: () => number;
  /** Trace entries kept in memory; default 1000. */
  traceLimit?: number;
}

/** Bytes for the line and when to send them. */
export interface SlaveOutput {
  bytes: Buffer;
  delayMs: number;
}

export interface AmpSimState {
  t: number;
  profileId: string;
  unitId: number;
  /** The power register says on. */
  switchedOn: boolean;
  /** Switched on and warmed up: status bit `powered`. */
  ready: boolean;
  /** Warm-up left, or null when switched off. */
  warmupRemainingMs: number | null;
  signalLevel: number;
  signalPresent: boolean;
  /** Driving the speaker lines: signal present, unmuted, volume > 0, no protection. */
  playing: boolean;
  temperatureC: number;
  supplyVoltageV: number;
  outputCurrentMa: number;
  /** Active faults, amplifier and line. */
  faults: SimFaultName[];
  responseDelayMs: number;
  noise: NoiseSettings;
  /** Every register as a master would read it (raw words, bits as 0/1). */
  registers: Record<string, number>;
  firmwareVersion: string;
}

export class AmpEngine {
  readonly profile: AmpProfile;
  readonly unitId: number;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly space: RegisterSpace;
  private readonly body: AmpBody;
  private readonly traceLog: Trace;
  private readonly random: () => number;
  private readonly firmware: { major: number; minor: number };
  private readonly statusBits: ReadonlyMap<string, number>;
  private silent = false;
  private delayMs = 0;
  private lastDelayMs = DEFAULT_SLOW_RESPONSE_MS;
  private noiseSettings: NoiseSettings = { rate: 0, mode: "corrupt" };

  constructor(deps: AmpEngineDeps) {
    this.profile = deps.profile;
    this.unitId = deps.unitId ?? deps.profile.unitId;
    this.clock = deps.clock;
    this.log = deps.log;
    this.random = deps.random ?? Math.random;
    this.firmware = deps.firmwareVersion ?? { major: 1, minor: 0 };
    this.traceLog = new Trace(deps.traceLimit ?? 1000);
    this.space = new RegisterSpace(deps.profile, deps.initialRegisters);
    this.body = new AmpBody({ ...DEFAULT_PHYSICS, ...deps.physics }, deps.clock, deps.profile.warmupMs);
    this.statusBits = statusBitIndexes(deps.profile);
    this.body.setControls(controlsOf(deps.profile, this.space));
  }

  // ---- the Modbus side -------------------------------------------------------------------------------

  /**
   * One complete request frame (as cut by RtuFrameParser) in, the reply bytes out, or undefined when the
   * slave stays silent. Traces both, applies line faults.
   */
  handleFrame(frame: Uint8Array): SlaveOutput | undefined {
    let req: ModbusRequest;
    try {
      req = decodeRequest(frame);
    } catch (err) {
      return this.undecodable(err, frame);
    }
    const note = this.requestNote(req.unitId);
    this.traceLog.add(requestEntry(this.clock.now(), req, note));
    if (note === "other_unit" || note === "no_response") return undefined;
    const reply = this.handle(req);
    return reply && this.send(reply, "address" in req ? req.address : undefined);
  }

  /** The reply to a request (no line faults, no trace); undefined for other units and broadcasts. */
  handle(req: ModbusRequest): ModbusReply | undefined {
    if (req.unitId !== this.unitId && req.unitId !== 0) return undefined;
    const isWrite = req.kind === "writeSingle" || req.kind === "writeCoil" || req.kind === "writeMultiple";
    if (req.unitId === 0 && !isWrite) return undefined;
    let reply: ModbusReply;
    try {
      reply = this.execute(req);
    } catch (err) {
      if (!(err instanceof ModbusError) || err.exceptionCode === undefined) throw err;
      reply = { kind: "exception", unitId: this.unitId, functionCode: fcOfRequest(req), exceptionCode: err.exceptionCode };
    }
    return req.unitId === 0 ? undefined : reply;
  }

  private execute(req: ModbusRequest): ModbusReply {
    const unitId = this.unitId;
    switch (req.kind) {
      case "unknown":
        throw new ModbusError("modbus_range", `function ${req.functionCode} is not implemented`, {
          exceptionCode: ModbusExceptionCode.illegalFunction,
        });
      case "readHolding":
      case "readInput": {
        const values = this.space.read(req.kind === "readHolding" ? "holding" : "input", req.address, req.quantity, (r) => this.compute(r.name));
        return { kind: req.kind, unitId, values };
      }
      case "readCoils":
      case "readDiscrete": {
        const raws = this.space.read(req.kind === "readCoils" ? "coil" : "discrete", req.address, req.quantity, (r) => this.compute(r.name));
        return { kind: req.kind, unitId, bits: raws.map((v) => v !== 0) };
      }
      case "writeSingle":
        this.write("holding", req.address, [req.value]);
        return { kind: req.kind, unitId, address: req.address, value: req.value };
      case "writeCoil":
        this.write("coil", req.address, [req.value ? 1 : 0]);
        return { kind: req.kind, unitId, address: req.address, value: req.value };
      case "writeMultiple":
        this.write("holding", req.address, req.values);
        return { kind: req.kind, unitId, address: req.address, quantity: req.values.length };
    }
  }

  private write(kind: "holding" | "coil", address: number, raws: readonly number[]): void {
    const regs = this.space.checkWrite(kind, address, raws);
    regs.forEach((reg, i) => this.space.set(reg.name, raws[i] ?? 0));
    this.body.setControls(controlsOf(this.profile, this.space));
  }

  private compute(name: string): number | undefined {
    const r = this.body.readings();
    return readingRaw(this.profile, name, {
      readings: r,
      statusBits: this.statusBits,
      faults: this.body.faults,
      storedStatus: this.space.get(name),
      firmwareRaw: this.firmware.major * 256 + this.firmware.minor,
    });
  }

  private requestNote(unitId: number): TraceNote | undefined {
    if (unitId !== this.unitId && unitId !== 0) return "other_unit";
    if (this.silent) return "no_response";
    return unitId === 0 ? "broadcast" : undefined;
  }

  /** A framed request the codec refuses: answer its exception if it has one for us, else stay silent. */
  private undecodable(err: unknown, frame: Uint8Array): SlaveOutput | undefined {
    const unitId = frame[0] ?? 0;
    const fc = frame[1] ?? 0;
    const ex = err instanceof ModbusError ? err.exceptionCode : undefined;
    const note = this.requestNote(unitId);
    this.traceLog.add({ t: this.clock.now(), dir: "request", unitId, fc, ...(note ? { note } : {}) });
    this.log?.debug({ unitId, fc, err }, "undecodable request");
    if (ex === undefined || note !== undefined) return undefined;
    return this.send({ kind: "exception", unitId, functionCode: fc, exceptionCode: ex }, undefined);
  }

  private send(reply: ModbusReply, address: number | undefined): SlaveOutput {
    const noisy = applyNoise(encodeResponse(reply), this.noiseSettings, this.random);
    const entry: TraceEntry = replyEntry(this.clock.now(), reply, address);
    if (this.delayMs > 0) entry.delayMs = this.delayMs;
    if (noisy.note) entry.note = noisy.note;
    this.traceLog.add(entry);
    return { bytes: noisy.bytes, delayMs: this.delayMs };
  }

  // ---- the simulation side -----------------------------------------------------------------------------

  /** What the receiver plays into the line input: true/false, or a level 0–1. */
  setSignal(signal: boolean | number): void {
    this.body.setSignal(typeof signal === "boolean" ? Number(signal) : signal);
  }

  setFault(name: SimFaultName, on: boolean): void {
    if (isAmpFaultName(name)) this.body.setFault(name, on);
    else if (name === "no_response") this.silent = on;
    else if (name === "slow_response") this.setResponseDelay(on ? this.lastDelayMs : 0);
    else this.setNoise(on ? { rate: 1, mode: this.noiseSettings.mode } : { rate: 0 });
    this.log?.info({ fault: name, on }, "fault");
  }

  /** Delay every reply by `ms` (`slow_response`); 0 clears it. */
  setResponseDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
    if (ms > 0) this.lastDelayMs = ms;
  }

  /** Damage replies on the line (`crc_noise`); rate 0 clears it. */
  setNoise(noise: { rate: number; mode?: NoiseSettings["mode"] }): void {
    this.noiseSettings = { rate: Math.min(1, Math.max(0, noise.rate)), mode: noise.mode ?? "corrupt" };
  }

  clearFaults(): void {
    for (const name of this.activeFaults()) this.setFault(name, false);
  }

  /** Store a raw value in a register by name, bypassing access checks (set-up for tests and the fleet). */
  setRegister(name: string, raw: number): void {
    this.space.checkName(name);
    this.space.set(name, raw);
    this.body.setControls(controlsOf(this.profile, this.space));
  }

  /** A register's raw value as a master would read it. */
  readRegister(name: string): number {
    this.space.checkName(name);
    return this.compute(name) ?? this.space.get(name);
  }

  activeFaults(): SimFaultName[] {
    const out: SimFaultName[] = [...this.body.faults];
    if (this.silent) out.push("no_response");
    if (this.delayMs > 0) out.push("slow_response");
    if (this.noiseSettings.rate > 0) out.push("crc_noise");
    return out;
  }

  state(): AmpSimState {
    const now = this.clock.now();
    const r = this.body.readings();
    const onAt = this.body.switchedOnAt;
    const registers = Object.fromEntries(Object.keys(this.profile.registers).map((name) => [name, this.readRegister(name)]));
    const controls = controlsOf(this.profile, this.space);
    return {
      t: now,
      profileId: this.profile.id,
      unitId: this.unitId,
      switchedOn: controls.switchedOn,
      ready: r.ready,
      warmupRemainingMs: onAt === undefined ? null : Math.max(0, onAt + this.body.warmupMs - now),
      signalLevel: this.body.signalLevel,
      signalPresent: r.signalPresent,
      playing: r.playing,
      temperatureC: Number(r.temperatureC.toFixed(2)),
      supplyVoltageV: Number(r.supplyVoltageV.toFixed(2)),
      outputCurrentMa: r.outputCurrentMa,
      faults: this.activeFaults(),
      responseDelayMs: this.delayMs,
      noise: { ...this.noiseSettings },
      registers,
      firmwareVersion: `${this.firmware.major}.${this.firmware.minor}`,
    };
  }

  trace(): TraceEntry[] {
    return this.traceLog.list();
  }

  clearTrace(): void {
    this.traceLog.clear();
  }

  /** Follow the trace; returns the unsubscribe function. */
  onTrace(listener: TraceListener): () => void {
    return this.traceLog.listen(listener);
  }
}

function fcOfRequest(req: ModbusRequest): number {
  return req.kind === "unknown" ? req.functionCode : functionCodeOf[req.kind];
}
