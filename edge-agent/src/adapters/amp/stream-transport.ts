/**
 * SerialTransport over any Duplex stream: the in-process double of SerialPortTransport (the simulator's
 * duplex pair, a socket, a test's scripted slave). `connect` is called for every (re)open, so a test can
 * "pull the line" by destroying the other end and "plug it back" by handing out a fresh stream.
 */
import type { Duplex } from "node:stream";
import { ReconnectingTransport, type LineHandlers, type OpenLine, type ReconnectingTransportDeps } from "./reconnecting-transport.js";

export interface StreamTransportDeps extends ReconnectingTransportDeps {
  /** A fresh stream for each open; throw or reject when the line is not there. */
  connect: () => Duplex | Promise<Duplex>;
  name?: string;
}

export class StreamTransport extends ReconnectingTransport {
  readonly name: string;
  private readonly open$: () => Duplex | Promise<Duplex>;

  constructor(deps: StreamTransportDeps) {
    super(deps);
    this.open$ = deps.connect;
    this.name = deps.name ?? "stream";
  }

  protected async connect(handlers: LineHandlers): Promise<OpenLine> {
    const stream = await this.open$();
    if (stream.destroyed || !stream.writable) throw new Error(`${this.name}: stream is not writable`);
    let closing = false;
    const lost = (err: Error): void => {
      if (!closing) handlers.lost(err);
    };
    stream.on("data", (chunk: Buffer | string) => handlers.data(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
    stream.on("error", (err: Error) => lost(err));
    stream.on("end", () => lost(new Error(`${this.name} ended`)));
    stream.on("close", () => lost(new Error(`${this.name} closed`)));
    return {
      write: (bytes) => writeTo(stream, bytes),
      close: () => {
        closing = true;
        stream.removeAllListeners("data");
        if (!stream.destroyed) stream.destroy();
        return Promise.resolve();
      },
    };
  }
}

function writeTo(stream: Duplex, bytes: Buffer): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.reject(new Error("stream is not writable"));
  return new Promise((resolve, reject) => {
    stream.write(bytes, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}
