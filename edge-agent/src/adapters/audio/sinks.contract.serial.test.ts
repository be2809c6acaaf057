import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "@loa/shared";
import { audioSinkContract } from "../../testing/sink-contract.js";
import { CaptureSink } from "../../testing/capture-sink.js";
import { AplaySink } from "./aplay-sink.js";
import { NullSink } from "./null-sink.js";
import { TimingSink } from "./timing-sink.js";
import { parseWav } from "./wav.js";
import { WavFileSink } from "./wav-file-sink.js";

const clock = new SystemClock();

audioSinkContract("NullSink", () => Promise.resolve({ sink: new NullSink({ clock }) }));

audioSinkContract("TimingSink (PCM, no durationMs)", () => Promise.resolve({ sink: new TimingSink({ clock }) }));

audioSinkContract("CaptureSink (test double)", () => {
  const sink = new CaptureSink({ clock, frameMs: 20 });
  return Promise.resolve({ sink, output: (id: string) => Promise.resolve(sink.pcmOf(id)) });
});

audioSinkContract("WavFileSink", async () => {
  const dir = await mkdtemp(join(tmpdir(), "loa-wav-"));
  const sink = new WavFileSink({ clock, dir });
  return {
    sink,
    output: async (id: string) => {
      const buf = await readFile(sink.fileOf(id));
      const info = parseWav(buf);
      return buf.subarray(info.dataOffset, info.dataOffset + info.dataBytes);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

/** AplaySink against a stand-in `aplay` (a shell script writing stdin to a file): no sound card needed. */
audioSinkContract("AplaySink (stand-in aplay)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "loa-aplay-"));
  const script = join(dir, "aplay");
  await writeFile(script, `#!/bin/sh\necho "$@" > "${dir}/args"\nexec cat > "${dir}/out.raw"\n`);
  await chmod(script, 0o755);
  const sink = new AplaySink({ clock, command: script });
  return {
    sink,
    output: () => readFile(join(dir, "out.raw")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
