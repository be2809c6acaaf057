import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SystemClock } from "@loa/shared";
import { chunked } from "../../testing/sink-contract.js";
import { AplaySink, aplayArgs } from "./aplay-sink.js";
import { generateTone } from "./tone.js";

const clock = new SystemClock();
let dir = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-aplay-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function standIn(body: string): Promise<string> {
  const script = join(dir, "aplay");
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  await chmod(script, 0o755);
  return script;
}

describe("AplaySink (ARCHITECTURE §6 alsa)", () => {
  it("runs `aplay -q -t raw -f S16_LE -c 1 -r 48000 [-D device] -` and feeds it the PCM", async () => {
    const command = await standIn(`echo "$@" > "${dir}/args"; exec cat > "${dir}/out.raw"`);
    const sink = new AplaySink({ clock, command, device: "plughw:1,0" });
    const pcm = generateTone({ freqHz: 440, durationMs: 100 });
    const { playedMs } = await sink.play(chunked(pcm), { playId: "a:1" }).done;
    expect(playedMs).toBe(100);
    expect((await readFile(join(dir, "args"), "utf8")).trim()).toBe("-q -t raw -f S16_LE -c 1 -r 48000 -D plughw:1,0 -");
    expect((await readFile(join(dir, "out.raw")).then((b) => b.equals(pcm)))).toBe(true);
    expect(aplayArgs()).toEqual(["-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", "48000", "-"]);
  });

  it("reports sink_failed when aplay is missing", async () => {
    const sink = new AplaySink({ clock, command: join(dir, "no-such-aplay") });
    const h = sink.play(chunked(generateTone({ freqHz: 440, durationMs: 100 })), { playId: "a:2" });
    await expect(h.started).rejects.toMatchObject({ code: "sink_failed" });
    await expect(h.done).rejects.toMatchObject({ code: "sink_failed" });
  });

  it("reports sink_failed when aplay dies during the play (device busy, unplugged)", async () => {
    const command = await standIn(`head -c 9600 > /dev/null; echo "aplay: device busy" >&2; exit 1`);
    const sink = new AplaySink({ clock, command });
    const h = sink.play(chunked(generateTone({ freqHz: 440, durationMs: 2_000 })), { playId: "a:3" });
    await expect(h.done).rejects.toMatchObject({ code: "sink_failed", message: expect.stringContaining("device busy") as unknown });
  });
});
