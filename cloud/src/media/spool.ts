/**
 * Upload size limit while streaming (ARCHITECTURE §6): the HTTP layer pipes the request body through
 * ByteLimit so an oversized upload fails with `too_big` as soon as it crosses the limit, not after it has
 * filled the disk.
 */
import { open, rm } from "node:fs/promises";
import { Transform, type TransformCallback, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { mediaError } from "./errors.js";

export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  /** Bytes passed through so far. */
  get bytes(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      done(mediaError("too_big", { maxBytes: this.maxBytes }, { bytesSoFar: this.seen }));
      return;
    }
    done(null, chunk);
  }
}

/** Writes `source` to a new file at `dest` (which must not exist); removes it again on any failure. */
export async function spoolToFile(source: Readable, dest: string, maxBytes: number): Promise<number> {
  const limit = new ByteLimit(maxBytes);
  // Opened here, not lazily by the stream, so a failure always knows the file is ours to remove ("wx"
  // refuses an existing file, which is not ours to delete). Until pipeline() listens, a source error
  // (an aborted upload) would be an uncaught 'error' event; the stream keeps it and pipeline() rejects with it.
  const parked = (): void => undefined;
  source.on("error", parked);
  const fh = await open(dest, "wx").finally(() => source.off("error", parked));
  try {
    await pipeline(source, limit, fh.createWriteStream());
    return limit.bytes;
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}
