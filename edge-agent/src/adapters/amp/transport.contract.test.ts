/**
 * One SerialTransport contract, two adapters: StreamTransport over an in-memory cable, and
 * SerialPortTransport over a real socat PTY pair (the line pulled by killing socat).
 */
import { SystemClock } from "@loa/shared";
import { SerialPort } from "serialport";
import type { Duplex } from "node:stream";
import { requireTool } from "../../../../test/support/tools.js";
import { duplexPair } from "./duplex-pair.fixture.js";
import { SerialPortTransport } from "./serialport-transport.js";
import { SocatPair } from "./socat.fixture.js";
import { StreamTransport } from "./stream-transport.js";
import { silentLog } from "./test-rig.fixture.js";
import { serialTransportContract, type FarEnd } from "./transport-contract.fixture.js";

const clock = new SystemClock();
const backoff = { initialMs: 20, maxMs: 100 };

function collecting(stream: Duplex | SerialPort): FarEnd {
  const got: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => got.push(chunk));
  stream.on("error", () => undefined);
  return {
    write: (bytes) => new Promise((resolve, reject) => stream.write(bytes, (err?: Error | null) => (err ? reject(err) : resolve()))),
    received: () => Buffer.concat(got),
  };
}

serialTransportContract("StreamTransport (in-memory cable)", () => {
  let plugged = true;
  let far: FarEnd | undefined;
  let farStream: Duplex | undefined;
  const transport = new StreamTransport({
    clock,
    log: silentLog,
    backoff,
    connect: () => {
      if (!plugged) throw new Error("ENOENT: no cable");
      const [near, other] = duplexPair();
      farStream = other;
      far = collecting(other);
      return near;
    },
  });
  return Promise.resolve({
    transport,
    far: () => far,
    unplug: () => {
      plugged = false;
      far = undefined;
      farStream?.destroy();
      return Promise.resolve();
    },
    plug: () => {
      plugged = true;
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  });
});

if (requireTool("socat")) {
  serialTransportContract("SerialPortTransport (socat PTY pair)", async () => {
    const pty = await SocatPair.create();
    let farPort: SerialPort | undefined;
    let far: FarEnd | undefined;
    const openFar = async (): Promise<void> => {
      const port = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      farPort = port;
      far = collecting(port);
    };
    const closeFar = async (): Promise<void> => {
      const port = farPort;
      farPort = undefined;
      far = undefined;
      if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    };
    await openFar();
    const transport = new SerialPortTransport({ path: pty.a, clock, log: silentLog, backoff, presenceCheckMs: 100 });
    return {
      transport,
      far: () => far,
      unplug: async () => {
        await closeFar();
        await pty.stop();
      },
      plug: async () => {
        await pty.start();
        await openFar();
      },
      cleanup: async () => {
        await closeFar();
        await pty.destroy();
      },
    };
  });
}
