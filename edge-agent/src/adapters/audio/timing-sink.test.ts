import { describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { SilentDecoder } from "./silent-decoder.js";
import { TimingSink } from "./timing-sink.js";

describe("TimingSink + SilentDecoder (fleet simulator: no ffmpeg)", () => {
  it("records the exact start and paces for the plan's durationMs", async () => {
    const clock = new FakeClock(1_000_000);
    const sink = new TimingSink({ clock });
    const job = new SilentDecoder().decode({ kind: "file", path: "/cache/x.ogg" });
    const h = sink.play(job.pcm, { playId: "b:1", durationMs: 90_000 });
    await expect(h.started).resolves.toBe(1_000_000);
    let done = false;
    void h.done.then(() => (done = true));
    await clock.advance(89_999);
    expect(done).toBe(false);
    await clock.advance(1);
    await expect(h.done).resolves.toEqual({ playedMs: 90_000 });
    await expect(job.done).resolves.toBeUndefined();
    expect(sink.records()).toEqual([{ playId: "b:1", startedAt: 1_000_000, playedMs: 90_000, stopped: false }]);
  });

  it("stop() reports the elapsed time", async () => {
    const clock = new FakeClock(0);
    const sink = new TimingSink({ clock });
    const h = sink.play(new SilentDecoder().decode({ kind: "file", path: "x" }).pcm, { playId: "b:2", durationMs: 60_000 });
    await clock.advance(12_345);
    h.stop();
    await expect(h.done).resolves.toEqual({ playedMs: 12_345 });
    expect(sink.records()[0]?.stopped).toBe(true);
  });
});
