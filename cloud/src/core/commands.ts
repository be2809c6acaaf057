/**
 * Remote commands, cloud side (ARCHITECTURE §3 cmd, cmd/res; §7 `POST /devices/:id/commands`): turns the
 * REST form into the MQTT `{cmdId, type, args, expiresAt}` (play_now: the bulletin becomes its MediaRef and
 * a playId), publishes it with QoS 1, tracks the device's answer by cmdId, expires what got no answer,
 * journals every state (`kind: "cmd"`), and tells listeners (the SSE stream) about each change.
 */
import {
  DEFAULT_CHUNK_SIZE,
  errorMessage,
  isoOf,
  newId,
  type Bulletin,
  type Clock,
  type CmdPayload,
  type CmdResPayload,
  type DeviceCommandBody,
  type DeviceCommandType,
  type MediaRef,
  type TimerHandle,
} from "@loa/shared";
import type { Logger } from "pino";
import type { CommandIssuer, CommandState, DeviceCommands } from "../ports/device-commands.js";
import type { Catalog, Journal } from "../ports/store.js";
import { NotFoundError, UnavailableError, UnprocessableError } from "./errors.js";

export interface CommandCenterDeps {
  catalog: Pick<Catalog, "data">;
  journal: Pick<Journal, "append">;
  /** Publish the command on `dev/{id}/cmd` (QoS 1); resolves once the broker has it. */
  publish: (deviceId: string, cmd: CmdPayload) => Promise<void>;
  clock: Clock;
  log: Logger;
  /** How long the device has to run it; default 120 s. */
  ttlMs?: number;
  /** Extra wait past `expiresAt` for an answer in flight before calling it expired; default 5 s. */
  graceMs?: number;
  /** Finished commands are remembered this long for `GET .../commands/:cmdId`; default 1 h. */
  keepMs?: number;
  /** At most this many commands are remembered (oldest finished go first); default 10 000. */
  maxKept?: number;
  /** Chunk size written into play_now media references; default 64 KiB (ARCHITECTURE §3). */
  chunkSize?: number;
  /** Bound on waiting for the broker to take the command; past it the command stays queued in the client. Default 10 s. */
  publishTimeoutMs?: number;
  /** play_now names media no plan may use: let devices fetch it until the command expires (delivery's allowMedia). */
  allowMedia?: (ref: MediaRef, untilMs: number) => void;
}

interface Tracked {
  state: CommandState;
  timer: TimerHandle | undefined;
  finishedAt: number | undefined;
}

export type CommandListener = (state: Readonly<CommandState>) => void;

export class CommandCenter implements DeviceCommands {
  private readonly byId = new Map<string, Tracked>();
  private readonly listeners = new Set<CommandListener>();
  private readonly log: Logger;
  private readonly ttlMs: number;
  private closed = false;

  constructor(private readonly deps: CommandCenterDeps) {
    this.log = deps.log.child({ ns: "cloud.commands" });
    this.ttlMs = deps.ttlMs ?? 120_000;
  }

  async send(deviceId: string, type: DeviceCommandType, args: DeviceCommandBody["args"], by: CommandIssuer): Promise<string> {
    if (this.closed) throw new UnavailableError("the cloud is shutting down");
    if (!this.deps.catalog.data().devices.some((d) => d.id === deviceId)) throw new NotFoundError(`device ${deviceId}`);
    const now = this.deps.clock.now();
    const cmdId = newId("cmd");
    const expiresAt = now + this.ttlMs;
    const cmd = this.toWire({ cmdId, type, args, expiresAt: isoOf(expiresAt) } as RestCommand, now);
    const state: CommandState = { cmdId, deviceId, type, status: "pending", createdAt: now, expiresAt };
    this.prune(now);
    this.byId.set(cmdId, { state, timer: this.expiryTimer(cmdId, expiresAt - now), finishedAt: undefined });
    // Journalled and announced before it goes out, so an answer can never be recorded before its command.
    await this.journal(state, { args: cmd.args, by });
    this.emit(state);
    try {
      await this.publishBounded(deviceId, cmd);
    } catch (err) {
      this.finish(cmdId, { status: "error", error: { code: "publish_failed", message: errorMessage(err) } });
      throw new UnavailableError(`the command could not be handed to the MQTT broker: ${errorMessage(err)}`);
    }
    this.log.info({ cmdId, deviceId, type, by: by.username }, "command sent");
    return cmdId;
  }

  get(deviceId: string, cmdId: string): CommandState | undefined {
    const t = this.byId.get(cmdId);
    return t && t.state.deviceId === deviceId ? { ...t.state } : undefined;
  }

  /** `cmd/res` from a device: the answer of one of its commands. */
  onResult(deviceId: string, res: CmdResPayload): void {
    const t = this.byId.get(res.cmdId);
    if (!t || t.state.deviceId !== deviceId) {
      // Delivery sends play_now for `now` broadcasts with its own cmdIds; their answers land here too.
      this.log.debug({ deviceId, cmdId: res.cmdId, ok: res.ok }, "answer to a command not sent from the API");
      return;
    }
    // A late answer still wins over "expired": the device's word is the truth about what happened.
    if (t.state.status !== "pending" && t.state.status !== "expired") return; // a QoS 1 duplicate
    if (res.ok) this.finish(res.cmdId, { status: "ok", ...(res.result ? { result: res.result } : {}) });
    else this.finish(res.cmdId, { status: res.error.code === "expired" ? "expired" : "error", error: res.error });
  }

  /** Listen to every state change (sent, answered, expired); returns the unsubscribe function. */
  onChange(listener: CommandListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The device was deleted: forget its commands. */
  forgetDevice(deviceId: string): void {
    for (const [id, t] of this.byId) {
      if (t.state.deviceId !== deviceId) continue;
      t.timer?.cancel();
      this.byId.delete(id);
    }
  }

  /** Commands remembered right now (for metrics). */
  get size(): number {
    return this.byId.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.byId.values()) t.timer?.cancel();
    this.listeners.clear();
  }

  /** The MQTT form: play_now names media (sha256, bytes, chunkSize, durationMs, codec) and a playId. */
  private toWire(c: RestCommand, now: number): CmdPayload {
    if (c.type !== "play_now") return c;
    const b = this.bulletin(c.args.bulletinId);
    const media = { sha256: b.sha256, bytes: b.bytes, chunkSize: this.deps.chunkSize ?? DEFAULT_CHUNK_SIZE, durationMs: b.durationMs, codec: b.codec };
    // `<cmdId>:<ms>` has the shape of a broadcast playId, so the device's play events name the command.
    const args = { playId: `${c.cmdId}:${now}`, media, priority: c.args.priority, ...(c.args.volume !== undefined ? { volume: c.args.volume } : {}) };
    // Fetching may take a while after the command arrives: allow a little past its expiry.
    this.deps.allowMedia?.(media, Date.parse(c.expiresAt) + this.ttlMs);
    return { cmdId: c.cmdId, type: "play_now", args, expiresAt: c.expiresAt };
  }

  private bulletin(id: string): Bulletin {
    const b = this.deps.catalog.data().bulletins.find((x) => x.id === id);
    if (!b) throw new UnprocessableError(`bulletin ${id} does not exist`);
    if (b.bytes < 1 || b.durationMs < 1) throw new UnprocessableError(`bulletin ${id} has no playable audio`);
    return b;
  }

  private async publishBounded(deviceId: string, cmd: CmdPayload): Promise<void> {
    const limit = this.deps.publishTimeoutMs ?? 10_000;
    let timer: TimerHandle | undefined;
    const slow = new Promise<"slow">((resolve) => (timer = this.deps.clock.setTimeout(() => resolve("slow"), limit)));
    const sent = this.deps.publish(deviceId, cmd);
    try {
      const outcome = await Promise.race([sent, slow]);
      // Still queued in the MQTT client (broker unreachable right now): it goes out on reconnect or expires.
      if (outcome === "slow") {
        this.log.warn({ cmdId: cmd.cmdId, deviceId, limitMs: limit }, "broker has not taken the command yet; it stays queued");
        sent.catch((err: unknown) => this.finish(cmd.cmdId, { status: "error", error: { code: "publish_failed", message: errorMessage(err) } }));
      }
    } finally {
      timer?.cancel();
    }
  }

  private expiryTimer(cmdId: string, inMs: number): TimerHandle {
    return this.deps.clock.setTimeout(() => {
      const t = this.byId.get(cmdId);
      if (t?.state.status !== "pending") return;
      this.finish(cmdId, { status: "expired", error: { code: "expired", message: "the device did not answer before the command expired" } });
    }, inMs + (this.deps.graceMs ?? 5000));
  }

  private finish(cmdId: string, outcome: Pick<CommandState, "status" | "result" | "error">): void {
    const t = this.byId.get(cmdId);
    if (!t) return;
    t.timer?.cancel();
    t.timer = undefined;
    t.finishedAt = this.deps.clock.now();
    const { result: _r, error: _e, ...rest } = t.state;
    t.state = { ...rest, ...outcome };
    this.log.info({ cmdId, deviceId: t.state.deviceId, status: t.state.status, error: t.state.error?.code }, "command finished");
    this.journal(t.state).catch((err: unknown) => this.log.error({ err: errorMessage(err), cmdId }, "command state not journalled"));
    this.emit(t.state);
  }

  private async journal(s: CommandState, extra: Record<string, unknown> = {}): Promise<void> {
    await this.deps.journal.append({
      kind: "cmd",
      ts: this.deps.clock.now(),
      cmdId: s.cmdId,
      deviceId: s.deviceId,
      type: s.type,
      status: s.status,
      expiresAt: isoOf(s.expiresAt),
      ...(s.result !== undefined ? { result: s.result } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...extra,
    });
  }

  private emit(s: CommandState): void {
    const copy = { ...s };
    for (const l of this.listeners) {
      try {
        l(copy);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, "command listener failed");
      }
    }
  }

  /** Drop finished commands past `keepMs`, then the oldest finished ones beyond `maxKept`. */
  private prune(now: number): void {
    const keepMs = this.deps.keepMs ?? 3600_000;
    const maxKept = this.deps.maxKept ?? 10_000;
    for (const [id, t] of this.byId) {
      if (t.finishedAt !== undefined && now - t.finishedAt > keepMs) this.byId.delete(id);
    }
    for (const [id, t] of this.byId) {
      if (this.byId.size < maxKept) break;
      if (t.finishedAt !== undefined) this.byId.delete(id);
    }
  }
}

/** The REST command with its cmdId and expiry, before play_now is resolved to media. */
type RestCommand = DeviceCommandBody & { cmdId: string; expiresAt: string };
