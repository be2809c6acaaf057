import { describe, expect, it } from "vitest";
import { Serial } from "./serial.js";

/** A promise settled from outside, to hold an operation open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("Serial", () => {
  it("starts an operation only after the one before it has settled, in call order", async () => {
    const serial = new Serial();
    const log: string[] = [];
    const first = gate();
    const a = serial.run(async () => {
      log.push("a start");
      await first.promise;
      log.push("a end");
      return 1;
    });
    const b = serial.run(async () => {
      log.push("b start");
      return 2;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(["a start"]);
    first.open();
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(log).toEqual(["a start", "a end", "b start"]);
  });

  it("rejects the caller of a failing operation and still runs the next", async () => {
    const serial = new Serial();
    const failing = serial.run(() => Promise.reject(new Error("boom")));
    const next = serial.run(() => Promise.resolve("ran"));
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
  });

  it("does not run an operation synchronously inside run()", () => {
    const serial = new Serial();
    let ran = false;
    const done = serial.run(() => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(false);
    return done;
  });
});
