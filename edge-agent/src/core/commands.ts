/**
 * Remote commands (ARCHITECTURE §3 cmd, cmd/res): every command gets exactly one kind of answer on
 * `cmd/res`, `{cmdId, ok:true, result?}` or `{cmdId, ok:false, error:{code, message}}`.
 *
 * - Expired (`expiresAt` passed, by the cloud's clock) → `expired`, never run: a reboot queued for hours in
 *   the broker's session must not fire when the receiver comes back. Expiry waits (bounded) for the first
 *   time sync, because a board restored from fake-hwclock is behind by the outage.
 * - A QoS 1 duplicate (same cmdId) never runs twice: a bounded set of recent cmdIds keeps each result, and a
 *   duplicate gets the same answer again (the first one may be what was lost).
 * - Handler errors become error answers, never exceptions; a hung handler is answered `timeout`.
 * - An unparseable command with a readable cmdId is answered `invalid_command` / `unsupported_command`, so
 *   the operator sees why instead of waiting forever.
 * - reboot: answer first, wait for the broker's PUBACK (bounded), then `exit(75)` so systemd restarts us.
 */
import {
  COMMAND_TYPES,
  LIMITS,
  errorMessage,
  isLoaError,
  type Clock,
  type CmdPayload,
  type CmdResPayload,
  type CommandArgs,
  type CommandType,
  type TimerHandle,
} from "@loa/shared";
import type { Logger } from "pino";
import type { InvalidMessage, Link } from "../ports/link.js";

/** What a handler may return: an object shown to the operator as the command's result, or nothing. */
export type CommandResult = Record<string, unknown> | void;

/**
 * What the main wiring implements with the player, the amplifier and TimeSync. Each method resolves when the
 * command has taken effect (e.g. the play started), not when a play ends; `cmdId` lets `stop` report
 * `play_interrupted.byCmdId`. Reject with a LoaError carrying a snake_case code (`amp_timeout`, ...).
 */
export interface CommandTargets {
  playNow(args: CommandArgs<"play_now">, cmdId: string): Promise<CommandResult>;
  stop(args: CommandArgs<"stop">, cmdId: string): Promise<CommandResult>;
  setVolume(args: CommandArgs<"set_volume">, cmdId: string): Promise<CommandResult>;
  ampPower(args: CommandArgs<"amp_power">, cmdId: string): Promise<CommandResult>;
  testTone(args: CommandArgs<"test_tone">, cmdId: string): Promise<CommandResult>;
  syncTime(args: CommandArgs<"sync_time">, cmdId: string): Promise<CommandResult>;
}

/** Exit code asking systemd to restart the agent (Restart=on-failure / RestartForceExitStatus=75). */
export const REBOOT_EXIT_CODE = 75;

export interface CommandHandlerDeps {
  link: Pick<Link, "publish" | "on">;
  /** Cloud time: pass TimeSync.clock. */
  clock: Clock;
  log: Logger;
  targets: CommandTargets;
  /** Shut down cleanly and exit the process with `code` (main wiring). */
  exit: (code: number) => void | Promise<void>;
  /** Resolves once the clock is synced (TimeSync); expiry checks wait for it up to clockReadyTimeoutMs. */
  clockReady?: () => Promise<unknown>;
  clockReadyTimeoutMs?: number;
  /** Recent cmdIds remembered for dedupe (default 256). */
  recentMax?: number;
  /** A handler still running after this long is answered `timeout` (default 30 000). */
  handlerTimeoutMs?: number;
  /** Before exiting for reboot, wait this long for the answer's PUBACK (default 5000). */
  replyTimeoutMs?: number;
}

type Run = (cmd: CmdPayload) => Promise<CommandResult>;
const CODE_RE = /^[a-z0-9_]{1,64}$/;
const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

export class CommandHandler {
  private readonly recent = new Map<string, Promise<CmdResPayload>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly runners: Record<Exclude<CommandType, "reboot">, Run>;

  constructor(private readonly deps: CommandHandlerDeps) {
    const t = deps.targets;
    // Each runner narrows the union by `type`; the discriminated union guarantees args match.
    this.runners = {
      play_now: (c) => t.playNow((c as Extract<CmdPayload, { type: "play_now" }>).args, c.cmdId),
      stop: (c) => t.stop((c as Extract<CmdPayload, { type: "stop" }>).args, c.cmdId),
      set_volume: (c) => t.setVolume((c as Extract<CmdPayload, { type: "set_volume" }>).args, c.cmdId),
      amp_power: (c) => t.ampPower((c as Extract<CmdPayload, { type: "amp_power" }>).args, c.cmdId),
      test_tone: (c) => t.testTone((c as Extract<CmdPayload, { type: "test_tone" }>).args, c.cmdId),
      sync_time: (c) => t.syncTime((c as Extract<CmdPayload, { type: "sync_time" }>).args, c.cmdId),
    };
  }

  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.deps.link.on("cmd", (cmd) => this.handle(cmd).then(() => undefined)),
      this.deps.link.on("invalid", (msg) => this.onInvalid(msg)),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Run (or recognise a duplicate of) one command and publish its answer; resolves with that answer. */
  async handle(cmd: CmdPayload): Promise<CmdResPayload> {
    const known = this.recent.get(cmd.cmdId);
    if (known) {
      this.deps.log.info({ cmdId: cmd.cmdId, type: cmd.type }, "duplicate command: answering again, not running");
      const res = await known;
      await this.reply(res);
      return res;
    }
    const outcome = this.execute(cmd);
    this.remember(cmd.cmdId, outcome);
    const res = await outcome;
    if (cmd.type === "reboot" && res.ok) {
      await this.withTimeout(this.reply(res), this.deps.replyTimeoutMs ?? 5000);
      this.deps.log.warn({ cmdId: cmd.cmdId }, `reboot requested: exiting with ${REBOOT_EXIT_CODE}`);
      await Promise.resolve(this.deps.exit(REBOOT_EXIT_CODE)).catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, "exit failed"));
      return res;
    }
    await this.reply(res);
    return res;
  }

  private async execute(cmd: CmdPayload): Promise<CmdResPayload> {
    const log = this.deps.log.child({ cmdId: cmd.cmdId, type: cmd.type });
    const expiresAt = Date.parse(cmd.expiresAt);
    await this.waitForClock();
    const now = this.deps.clock.now();
    if (!(expiresAt > now)) {
      log.warn({ expiresAt: cmd.expiresAt }, "command expired, not run");
      return failure(cmd.cmdId, "expired", `command expired at ${cmd.expiresAt} (device time ${new Date(now).toISOString()})`);
    }
    if (cmd.type === "reboot") return { cmdId: cmd.cmdId, ok: true, result: { restarting: true, exitCode: REBOOT_EXIT_CODE } };
    try {
      const result = await this.withTimeout(this.runners[cmd.type](cmd), this.deps.handlerTimeoutMs ?? 30_000);
      if (result === TIMED_OUT) return failure(cmd.cmdId, "timeout", `${cmd.type} did not finish within ${this.deps.handlerTimeoutMs ?? 30_000} ms`);
      log.info("command done");
      return result && typeof result === "object" ? { cmdId: cmd.cmdId, ok: true, result } : { cmdId: cmd.cmdId, ok: true };
    } catch (err) {
      const code = isLoaError(err) && CODE_RE.test(err.code) ? err.code : "command_failed";
      log.warn({ code, err: errorMessage(err) }, "command failed");
      return failure(cmd.cmdId, code, errorMessage(err));
    }
  }

  /** A cmd the link dropped as invalid: answer it if its cmdId is readable. */
  private onInvalid(msg: InvalidMessage): void {
    if (msg.kind !== "cmd" || !msg.raw) return;
    let value: unknown;
    try {
      value = JSON.parse(msg.raw.toString("utf8"));
    } catch {
      return;
    }
    const obj = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
    const cmdId = obj.cmdId;
    if (typeof cmdId !== "string" || !ID_RE.test(cmdId) || this.recent.has(cmdId)) return;
    const unsupported = typeof obj.type === "string" && !(COMMAND_TYPES as readonly string[]).includes(obj.type);
    const res = unsupported
      ? failure(cmdId, "unsupported_command", `this receiver does not know the command type ${JSON.stringify(obj.type).slice(0, 80)}`)
      : failure(cmdId, "invalid_command", msg.message);
    this.remember(cmdId, Promise.resolve(res));
    this.reply(res).catch(() => undefined);
  }

  private remember(cmdId: string, outcome: Promise<CmdResPayload>): void {
    this.recent.set(cmdId, outcome);
    const max = this.deps.recentMax ?? 256;
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= max) break;
      this.recent.delete(oldest);
    }
  }

  private async reply(res: CmdResPayload): Promise<void> {
    try {
      await this.deps.link.publish("cmdRes", res);
    } catch (err) {
      if (res.ok && isLoaError(err) && (err.code === "invalid_payload" || err.code === "too_large")) {
        // A handler returned something the schema refuses (not JSON-able, too big): say so instead.
        return this.reply(failure(res.cmdId, "invalid_result", `result not sendable: ${errorMessage(err)}`));
      }
      this.deps.log.warn({ cmdId: res.cmdId, err: errorMessage(err) }, "command answer not published");
    }
  }

  private async waitForClock(): Promise<void> {
    if (!this.deps.clockReady) return;
    const ready = this.deps.clockReady().catch(() => undefined);
    const r = await this.withTimeout(ready, this.deps.clockReadyTimeoutMs ?? 10_000);
    if (r === TIMED_OUT) this.deps.log.warn("clock not synced yet: checking command expiry with the device clock");
  }

  private async withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = this.deps.clock.setTimeout(() => resolve(TIMED_OUT), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      timer?.cancel();
    }
  }
}

const TIMED_OUT = Symbol("timed out");

function failure(cmdId: string, code: string, message: string): CmdResPayload {
  return { cmdId, ok: false, error: { code, message: message.slice(0, LIMITS.textMax) } };
}
