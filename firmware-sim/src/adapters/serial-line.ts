/**
 * A real serial line through `serialport` (ARCHITECTURE §5: 9600 8N1 by default). Opened by path: socat PTY
 * pairs do not appear in SerialPort.list() and ignore the baud rate, which is fine for tests.
 */
import { SerialPort } from "serialport";
import { LoaError } from "@loa/shared";

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  parity?: "none" | "even" | "odd";
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

export class SerialLineError extends LoaError {
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super("serial_open_failed", message, details, options);
  }
}

export function openSerialLine(opts: SerialLineOptions): Promise<SerialPort> {
  const port = new SerialPort({
    path: opts.path,
    baudRate: opts.baudRate,
    parity: opts.parity ?? "none",
    dataBits: opts.dataBits ?? 8,
    stopBits: opts.stopBits ?? 1,
    autoOpen: false,
  });
  return new Promise((resolve, reject) => {
    port.open((err) => {
      if (err) reject(new SerialLineError(`cannot open serial line ${opts.path}: ${err.message}`, { path: opts.path }, { cause: err }));
      else resolve(port);
    });
  });
}

export function closeSerialLine(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}
