import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { eitherSignal } from "./waits.js";

describe("eitherSignal (waits.ts)", () => {
  it("aborts when either source aborts", () => {
    for (const which of [0, 1]) {
      const sources = [new AbortController(), new AbortController()];
      const either = eitherSignal(sources[0]!.signal, sources[1]!.signal);
      expect(either.signal.aborted).toBe(false);
      sources[which]!.abort();
      expect(either.signal.aborted).toBe(true);
    }
  });

  it("once one source aborted, no listener is left on the other", () => {
    const a = new AbortController();
    const b = new AbortController();
    eitherSignal(a.signal, b.signal);
    expect(getEventListeners(b.signal, "abort")).toHaveLength(1);
    a.abort();
    expect(getEventListeners(b.signal, "abort")).toHaveLength(0);
  });

  it("is aborted at once when a source already is", () => {
    const done = new AbortController();
    done.abort();
    expect(eitherSignal(new AbortController().signal, done.signal).signal.aborted).toBe(true);
  });

  it("after release() a source's abort no longer reaches it, and no listener is left on the sources", () => {
    const a = new AbortController();
    const b = new AbortController();
    let heard = 0;
    const count = (s: AbortSignal): void => s.addEventListener("abort", () => heard++);
    const either = eitherSignal(a.signal, b.signal);
    count(either.signal);
    either.release();
    expect([getEventListeners(a.signal, "abort").length, getEventListeners(b.signal, "abort").length]).toEqual([0, 0]);
    a.abort();
    b.abort();
    expect(either.signal.aborted).toBe(false);
    expect(heard).toBe(0);
  });
});
