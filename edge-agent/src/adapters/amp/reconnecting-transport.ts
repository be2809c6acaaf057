/**
 * What SerialPortTransport and StreamTransport share: keeping a line open. A subclass only knows how to open
 * one connection (`connect`); this class owns the state, the listeners and the retry with backoff through
 * the Clock, so a line that vanishes (adapter unplugged, PTY killed) is reopened when it comes back and the
 * process never crashes over it (ARCHITECTURE §5).
 */
import { errorMessage, type Clock, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import {
  DEFAULT_RECONNECT_BACKOFF,
  SerialError,
  type ReconnectBackoff,
  type SerialTransport,
  type SerialTransportEvents,
  type SerialTransportState,
} from "../../ports/serial.js";

/** One opened connection. */
export interface OpenLine {
  write(bytes: Buffer): Promise<void>;
  /** Close it; must not report `lost` for this close. */
  close(): Promise<void>;
}

/** What a connection reports back. `lost` may be called more than once; only the first counts. */
export interface LineHandlers {
  data(chunk: Buffer): void;
  lost(err: Error): void;
}

export interface ReconnectingTransportDeps {
  clock: Clock;
  log: Logger;
  backoff?: Partial<ReconnectBackoff>;
}

type Listeners = { [E in keyof SerialTransportEvents]: Set<SerialTransportEvents[E]> };

export abstract class ReconnectingTransport implements SerialTransport {
  abstract readonly name: string;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  private readonly backoff: ReconnectBackoff;
  private nextDelayMs: number;
  private current: SerialTransportState = "closed";
  private line: OpenLine | undefined;
  /** Bumped on every open attempt and close, so late callbacks of an old connection are ignored. */
  private generation = 0;
  private attempt: Promise<void> | undefined;
  private retryTimer: TimerHandle | undefined;
  private readonly listeners: Listeners = { data: new Set(), open: new Set(), close: new Set(), error: new Set() };

  constructor(deps: ReconnectingTransportDeps) {
    this.clock = deps.clock;
    this.log = deps.log;
    this.backoff = { ...DEFAULT_RECONNECT_BACKOFF, ...deps.backoff };
    this.nextDelayMs = this.backoff.initialMs;
  }

  /** Open one connection, wiring its bytes and its loss to `handlers`. Rejects when it cannot open. */
  protected abstract connect(handlers: LineHandlers): Promise<OpenLine>;

  get state(): SerialTransportState {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current === "open";
  }

  open(): Promise<void> {
    if (this.current === "open") return Promise.resolve();
    if (this.attempt) return this.attempt;
    this.cancelRetry();
    return this.tryOpen();
  }

  async close(): Promise<void> {
    const wasOpen = this.current === "open";
    this.generation++;
    this.cancelRetry();
    this.current = "closed";
    this.attempt = undefined;
    await this.dropLine();
    if (wasOpen) this.fire("close");
  }

  async reopen(): Promise<void> {
    if (this.current === "closed") return this.open();
    const wasOpen = this.current === "open";
    this.generation++;
    this.cancelRetry();
    this.attempt = undefined;
    this.current = "waiting";
    await this.dropLine();
    if (wasOpen) this.fire("close");
    return this.tryOpen();
  }

  async write(bytes: Uint8Array): Promise<void> {
    const line = this.line;
    if (!line || this.current !== "open") throw new SerialError("serial_closed", `${this.name} is not open (${this.current})`);
    try {
      await line.write(Buffer.from(bytes));
    } catch (err) {
      if (this.line === line) this.lose(this.generation, err instanceof Error ? err : new Error(errorMessage(err)));
      throw new SerialError("serial_write", `write to ${this.name} failed: ${errorMessage(err)}`, { name: this.name }, { cause: err });
    }
  }

  on<E extends keyof SerialTransportEvents>(event: E, listener: SerialTransportEvents[E]): () => void {
    const set = this.listeners[event] as Set<SerialTransportEvents[E]>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  private tryOpen(): Promise<void> {
    const gen = ++this.generation;
    this.current = "opening";
    const attempt = this.connect({
      data: (chunk) => {
        if (gen === this.generation && this.current === "open") this.fire("data", chunk);
      },
      lost: (err) => this.lose(gen, err),
    }).then(
      (line) => this.opened(gen, line),
      (err: unknown) => {
        if (gen === this.generation) this.openFailed(err);
        throw new SerialError("serial_open", `cannot open ${this.name}: ${errorMessage(err)}`, { name: this.name }, { cause: err });
      },
    );
    this.attempt = attempt;
    const clear = (): void => {
      if (this.attempt === attempt) this.attempt = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private opened(gen: number, line: OpenLine): void {
    if (gen !== this.generation) {
      // closed (or reopened) while this attempt was in flight
      line.close().catch(() => undefined);
      return;
    }
    this.line = line;
    this.current = "open";
    this.nextDelayMs = this.backoff.initialMs;
    this.log.info({ line: this.name }, "serial line open");
    this.fire("open");
  }

  private openFailed(err: unknown): void {
    this.current = "waiting";
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    this.log.warn({ line: this.name, err: error.message, retryInMs: this.nextDelayMs }, "serial line cannot open");
    this.fire("error", error);
    this.scheduleRetry();
  }

  private lose(gen: number, err: Error): void {
    if (gen !== this.generation || this.current !== "open") return;
    this.generation++;
    const line = this.line;
    this.line = undefined;
    this.current = "waiting";
    line?.close().catch(() => undefined);
    this.log.warn({ line: this.name, err: err.message, retryInMs: this.nextDelayMs }, "serial line lost");
    this.fire("close", err);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.cancelRetry();
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.backoff.maxMs, this.nextDelayMs * 2);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current === "waiting") this.tryOpen().catch(() => undefined);
    }, delay);
  }

  private cancelRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  private async dropLine(): Promise<void> {
    const line = this.line;
    this.line = undefined;
    if (line) await line.close().catch((err: unknown) => this.log.debug({ line: this.name, err: errorMessage(err) }, "close failed"));
  }

  private fire<E extends keyof SerialTransportEvents>(event: E, ...args: Parameters<SerialTransportEvents[E]>): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        (listener as (...a: Parameters<SerialTransportEvents[E]>) => void)(...args);
      } catch (err) {
        this.log.error({ line: this.name, event, err: errorMessage(err) }, "serial listener threw");
      }
    }
  }
}
