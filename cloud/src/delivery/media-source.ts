/** Reading stored media by chunk (ARCHITECTURE §2 `media/<sha256>.<ext>`, §3 chunks), with positional reads. */
import { open } from "node:fs/promises";

export interface MediaReader {
  /** The file's size in bytes. */
  readonly size: number;
  /** `length` bytes at `position` (fewer only at the end of the file). */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface MediaSource {
  /** The stored file for `sha256`, open for reading, or undefined when it is not stored. */
  open(sha256: string): Promise<MediaReader | undefined>;
}

/** Files found by `mediaPathOf` (cloud/src/http/routes/bulletin-media.ts), read with FileHandle.read at a position. */
export function fileMediaSource(mediaPathOf: (sha256: string) => Promise<string | undefined>): MediaSource {
  return {
    open: async (sha256) => {
      const path = await mediaPathOf(sha256);
      if (!path) return undefined;
      const handle = await open(path, "r");
      try {
        const { size } = await handle.stat();
        return {
          size,
          read: async (position, length) => {
            const buffer = Buffer.alloc(length);
            const { bytesRead } = await handle.read({ buffer, position, length });
            return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
          },
          close: () => handle.close(),
        };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
  };
}
