/**
 * A minimal Modbus master for the simulator's own tests: writes encoded requests to one end of a duplex pair
 * and collects the raw bytes and decoded reply frames that come back. Not the receiver's driver on purpose,
 * so the simulator is tested against an independent reading of the protocol.
 */
import { RtuFrameParser, decodeResponse, encodeRequest, type ModbusReply, type ModbusRequest } from "@loa/shared";
import type { Duplex } from "node:stream";

/** Let nextTick/microtask deliveries of the duplex pair run to the end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class TestMaster {
  /** Every byte received, in order. */
  bytes: Buffer = Buffer.alloc(0);
  private readonly parser = new RtuFrameParser({ direction: "response" });
  private frames: Buffer[] = [];

  constructor(private readonly end: Duplex) {
    end.on("data", (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      this.frames.push(...this.parser.push(chunk));
    });
  }

  get crcErrors(): number {
    return this.parser.stats.crcErrors;
  }

  send(req: ModbusRequest | Buffer): void {
    this.end.write(Buffer.isBuffer(req) ? req : encodeRequest(req));
  }

  /** Decoded replies received since the last call. */
  take(): ModbusReply[] {
    const out = this.frames.map((f) => decodeResponse(f));
    this.frames = [];
    return out;
  }

  /** Send and return the replies that arrived once the line settled (none when the slave stays silent). */
  async ask(req: ModbusRequest | Buffer): Promise<ModbusReply[]> {
    // Like a real master before a new request: what is left of a damaged reply is not part of the next one.
    this.parser.reset();
    this.take();
    this.send(req);
    await settle();
    return this.take();
  }

  /** Send and expect exactly one reply. */
  async one(req: ModbusRequest | Buffer): Promise<ModbusReply> {
    const replies = await this.ask(req);
    if (replies.length !== 1) throw new Error(`expected one reply, got ${replies.length}`);
    return replies[0] as ModbusReply;
  }
}
