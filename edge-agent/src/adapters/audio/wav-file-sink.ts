/**
 * The `file` sink (ARCHITECTURE §6): one WAV per play in a directory, written in real time, so the simulator
 * and tests can check what was really played and when. The header is written first with size 0 and patched
 * with the real sizes when the play ends (also after a stop or failure), so every file is a valid WAV.
 */
import { mkdir, open, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { SinkPlayOptions } from "../../ports/audio.js";
import { PacedSink, type PacedSinkDeps, type PcmOutput } from "./paced-sink.js";
import { wavHeader, wavSizeFields } from "./wav.js";

export interface WavFileSinkDeps extends PacedSinkDeps {
  dir: string;
}

/** File name of a play's capture: the playId with characters unsafe in file names replaced by `_`. */
export function wavFileNameOf(playId: string): string {
  return `${playId.replace(/[^A-Za-z0-9._-]/g, "_")}.wav`;
}

export class WavFileSink extends PacedSink {
  readonly dir: string;

  constructor(deps: WavFileSinkDeps) {
    super(deps);
    this.dir = deps.dir;
  }

  /** Where the play `playId` is (or will be) captured. */
  fileOf(playId: string): string {
    return join(this.dir, wavFileNameOf(playId));
  }

  protected async open(opts: SinkPlayOptions): Promise<PcmOutput> {
    await mkdir(this.dir, { recursive: true });
    const path = this.fileOf(opts.playId);
    const fh = await open(path, "w");
    try {
      await fh.write(wavHeader(0));
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    let dataBytes = 0;
    return {
      write: async (frame) => {
        await fh.write(frame);
        dataBytes += frame.length;
      },
      close: () => finish(fh, dataBytes),
      abort: () => finish(fh, dataBytes).catch(() => undefined),
      // A file prepared for a play that never came must not look like a capture of it.
      discard: () => fh.close().then(() => unlink(path)).catch(() => undefined),
    };
  }
}

async function finish(fh: FileHandle, dataBytes: number): Promise<void> {
  try {
    const { riff, data } = wavSizeFields(dataBytes);
    await fh.write(riff, 0, 4, 4);
    await fh.write(data, 0, 4, 40);
  } finally {
    await fh.close();
  }
}
