/**
 * SerialTransport over the `serialport` package (ARCHITECTURE §5): a USB-RS485 adapter (/dev/ttyUSB0), a
 * board UART (/dev/serial0) or a PTY. PTYs ignore the baud rate and are not listed by SerialPort.list(), so
 * the line is always opened by path. A lost line (unplugged adapter, killed PTY) is closed and reopened with
 * backoff (ReconnectingTransport).
 */
import { SerialPort } from "serialport";
import { realpath } from "node:fs/promises";
import { errorMessage, type SerialSettings, type TimerHandle } from "@loa/shared";
import { ReconnectingTransport, type LineHandlers, type OpenLine, type ReconnectingTransportDeps } from "./reconnecting-transport.js";

export interface SerialPortTransportDeps extends ReconnectingTransportDeps {
  path: string;
  /** Line settings; defaults 9600 8N1 (a profile's `serial` block fits here). */
  serial?: Partial<SerialSettings>;
  /**
   * How often to check that the device node still leads to the line that was opened (default 1000 ms;
   * 0: never). The OS does not always fail a pending read when a USB adapter or a PTY vanishes.
   */
  presenceCheckMs?: number;
}

export class SerialPortTransport extends ReconnectingTransport {
  readonly name: string;
  private readonly path: string;
  private readonly serial: SerialSettings;
  private readonly presenceCheckMs: number;

  constructor(deps: SerialPortTransportDeps) {
    super(deps);
    this.path = deps.path;
    this.name = deps.path;
    this.serial = { baud: 9600, parity: "none", dataBits: 8, stopBits: 1, ...deps.serial };
    this.presenceCheckMs = deps.presenceCheckMs ?? 1_000;
  }

  protected async connect(handlers: LineHandlers): Promise<OpenLine> {
    const port = new SerialPort({
      path: this.path,
      baudRate: this.serial.baud,
      parity: this.serial.parity,
      dataBits: this.serial.dataBits,
      stopBits: this.serial.stopBits,
      autoOpen: false,
    });
    // Attached before open so an error during open is never an unhandled 'error' event.
    port.on("error", (err: Error) => handlers.lost(err));
    const device = await realpath(this.path).catch(() => this.path);
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    let closing = false;
    const watch = this.watchPresence(device, (err) => handlers.lost(err));
    port.on("data", (chunk: Buffer) => handlers.data(chunk));
    port.on("close", (err: Error | null) => {
      if (!closing) handlers.lost(err ?? new Error(`${this.path} closed`));
    });
    return {
      write: (bytes) => writeTo(port, bytes),
      close: () => {
        closing = true;
        watch?.cancel();
        return closePort(port);
      },
    };
  }

  /** Report the line lost when its path is gone or now leads to another device (a re-created PTY link). */
  private watchPresence(device: string, lost: (err: Error) => void): TimerHandle | undefined {
    if (this.presenceCheckMs <= 0) return undefined;
    let checking = false;
    const timer = this.clock.setInterval(() => {
      if (checking) return;
      checking = true;
      realpath(this.path).then(
        (now) => {
          checking = false;
          if (now !== device) lost(new Error(`${this.path} now leads to ${now}, not ${device}`));
        },
        (err: unknown) => {
          checking = false;
          lost(new Error(`${this.path} is gone: ${errorMessage(err)}`));
        },
      );
    }, this.presenceCheckMs);
    return timer;
  }
}

function writeTo(port: SerialPort, bytes: Buffer): Promise<void> {
  // A SerialPort that is not open queues writes until it opens again, which may be never: refuse instead.
  if (!port.isOpen) return Promise.reject(new Error("port is not open"));
  return new Promise((resolve, reject) => {
    port.write(bytes, (err: Error | null | undefined) => (err ? reject(err) : resolve()));
  });
}

function closePort(port: SerialPort): Promise<void> {
  port.removeAllListeners("data");
  if (!port.isOpen) return Promise.resolve();
  // A close error leaves nothing to do: the line is dropped either way (the 'error' listener stays attached).
  return new Promise((resolve) => port.close(() => resolve()));
}
