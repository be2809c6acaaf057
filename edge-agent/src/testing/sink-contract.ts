/**
 * The AudioSink contract (STYLE: one suite run against every implementation), on the real clock:
 * never faster than real time, played time by samples (±50 ms), stop() within a frame, empty and broken
 * inputs handled without throwing. Each adapter's test file calls audioSinkContract() with its factory.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { AudioSink } from "../ports/audio.js";
import { generateTone } from "../adapters/audio/tone.js";

export interface SinkUnderTest {
  sink: AudioSink;
  /** PCM the sink really output for `playId`, when it can tell (file, capture). */
  output?: (playId: string) => Promise<Buffer>;
  cleanup?: () => Promise<void>;
}

/** `pcm` in chunks of an odd size, so samples are split across chunks. */
export function chunked(pcm: Buffer, size = 4_095): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < pcm.length; i += size) parts.push(pcm.subarray(i, i + size));
  return Readable.from(parts);
}

export function audioSinkContract(name: string, make: () => Promise<SinkUnderTest>): void {
  describe(`AudioSink contract: ${name}`, () => {
    it("plays 500 ms of PCM in no less than real time and reports ~500 ms by samples", async () => {
      const sut = await make();
      try {
        const pcm = generateTone({ freqHz: 440, durationMs: 500 });
        const t0 = Date.now();
        const h = sut.sink.play(chunked(pcm), { playId: "contract:500" });
        const started = await h.started;
        const { playedMs } = await h.done;
        const elapsed = Date.now() - t0;
        expect(started - t0).toBeLessThan(50);
        expect(elapsed).toBeGreaterThanOrEqual(480);
        expect(elapsed).toBeLessThan(1_500);
        expect(Math.abs(playedMs - 500)).toBeLessThanOrEqual(50);
        if (sut.output) expect((await sut.output("contract:500")).equals(pcm)).toBe(true);
      } finally {
        await sut.cleanup?.();
      }
    });

    it("stop() ends the play within a frame and reports the time really played", async () => {
      const sut = await make();
      try {
        const h = sut.sink.play(chunked(generateTone({ freqHz: 440, durationMs: 3_000 })), { playId: "contract:stop" });
        const started = await h.started;
        await new Promise((r) => setTimeout(r, 300 - (Date.now() - started)));
        const stopAt = Date.now();
        h.stop();
        h.stop(); // idempotent
        const { playedMs } = await h.done;
        expect(Date.now() - stopAt).toBeLessThan(200);
        expect(Math.abs(playedMs - 300)).toBeLessThanOrEqual(50);
        if (sut.output) expect(Math.abs((await sut.output("contract:stop")).length / 96 - 300)).toBeLessThanOrEqual(150);
      } finally {
        await sut.cleanup?.();
      }
    });

    it("an empty input ends at once with 0 ms", async () => {
      const sut = await make();
      try {
        const t0 = Date.now();
        const h = sut.sink.play(Readable.from([]), { playId: "contract:empty" });
        await expect(h.done).resolves.toEqual({ playedMs: 0 });
        expect(Date.now() - t0).toBeLessThan(500);
      } finally {
        await sut.cleanup?.();
      }
    });

    it("an input that errors midway ends the play with what was played (the decoder reports the error)", async () => {
      const sut = await make();
      try {
        const part = generateTone({ freqHz: 440, durationMs: 200 });
        const broken = new Readable({ read() {} });
        broken.push(part);
        setTimeout(() => broken.destroy(new Error("decoder died")), 50);
        const h = sut.sink.play(broken, { playId: "contract:broken" });
        const { playedMs } = await h.done;
        expect(Math.abs(playedMs - 200)).toBeLessThanOrEqual(50);
      } finally {
        await sut.cleanup?.();
      }
    });
  });
}
