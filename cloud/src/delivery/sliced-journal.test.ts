/**
 * The event ingest's sliced appends (sliced-journal.ts): nobody is answered before the append holding
 * their entries resolved (ARCHITECTURE §3 "Nothing lost": the ack follows a durable append); the callers of
 * one turn go out as one append of at most `sliceSize`; at most `sliceSize` callers are answered per turn
 * of the event loop; one bad entry in a combined append fails only its own caller. Turns are driven by
 * hand (an injected `yieldTurn`), not by time.
 */
import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../ports/store.js";
import { SlicedJournal } from "./sliced-journal.js";

/** A journal whose appends are held until released; a `ts` of -1 makes the whole append fail. */
class HeldJournal {
  readonly appends: JournalEntry[][] = [];
  readonly durable: JournalEntry[] = [];
  private readonly held: Array<() => void> = [];

  append(...entries: JournalEntry[]): Promise<void> {
    this.appends.push(entries);
    if (entries.some((e) => e.ts < 0)) return Promise.reject(new Error("invalid entry"));
    return new Promise<void>((resolve) =>
      this.held.push(() => {
        this.durable.push(...entries);
        resolve();
      }),
    );
  }

  releaseAll(): void {
    for (const r of this.held.splice(0)) r();
  }
}

const microtasks = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A SlicedJournal whose turns of the event loop happen when the test says so. */
function sliced(sliceSize: number) {
  const journal = new HeldJournal();
  const waiting: Array<() => void> = [];
  const s = new SlicedJournal({ journal, sliceSize, yieldTurn: () => new Promise<void>((r) => waiting.push(r)) });
  const turn = async (): Promise<void> => {
    for (const r of waiting.splice(0)) r();
    await microtasks();
  };
  return { journal, s, turn };
}

const entry = (seq: number, ts = 1_000): JournalEntry => ({ kind: "event", ts, deviceId: `d${seq}`, seq });

/** Call `append` for `n` callers; the settled ones are counted in `done`/`failed`. */
function callers(s: SlicedJournal, n: number, ts = (_i: number) => 1_000) {
  const state = { done: 0, failed: 0, order: [] as number[] };
  for (let i = 0; i < n; i++) {
    s.append([entry(i, ts(i))]).then(
      () => {
        state.done++;
        state.order.push(i);
      },
      () => state.failed++,
    );
  }
  return state;
}

describe("SlicedJournal", () => {
  it("answers nobody before the append holding their entries is durable", async () => {
    const { journal, s, turn } = sliced(200);
    const state = callers(s, 5);
    await turn();
    expect(journal.appends).toHaveLength(1);
    expect(journal.appends[0]).toHaveLength(5);
    await turn();
    expect(state.done).toBe(0);
    expect(journal.durable).toHaveLength(0);
    journal.releaseAll();
    await microtasks();
    expect(state.done).toBe(5);
    expect(journal.durable.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it("writes the callers of a turn as appends of at most sliceSize, one per turn", async () => {
    const { journal, s, turn } = sliced(200);
    callers(s, 450);
    expect(journal.appends).toHaveLength(0);
    await turn();
    expect(journal.appends.map((a) => a.length)).toEqual([200]);
    await turn();
    await turn();
    expect(journal.appends.map((a) => a.length)).toEqual([200, 200, 50]);
  });

  it("answers at most sliceSize callers per turn of the event loop, in order", async () => {
    const { journal, s, turn } = sliced(100);
    const state = callers(s, 250);
    for (let i = 0; i < 3; i++) await turn();
    expect(journal.appends).toHaveLength(3);
    journal.releaseAll(); // all three appends durable at the same moment (one group commit)
    await microtasks();
    expect(state.done).toBe(100);
    await turn();
    expect(state.done).toBe(200);
    await turn();
    expect(state.done).toBe(250);
    expect(state.order).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it("fails only the caller with a bad entry when a combined append fails", async () => {
    const { journal, s, turn } = sliced(200);
    const state = callers(s, 4, (i) => (i === 2 ? -1 : 1_000));
    await turn();
    await microtasks();
    expect(state.failed).toBe(1);
    journal.releaseAll();
    await turn(); // the failure's answer took this turn; the others come in the next
    expect(state.done).toBe(3);
    expect(journal.durable.map((e) => e.seq)).toEqual([0, 1, 3]);
  });

  it("answers nothing-to-write at once when idle, and in its turn behind waiting callers", async () => {
    const { journal, s, turn } = sliced(200);
    let idleDone = false;
    void s.append([]).then(() => (idleDone = true));
    await microtasks();
    expect(idleDone).toBe(true);
    const state = callers(s, 1);
    let behindDone = false;
    void s.append([]).then(() => (behindDone = true));
    await turn();
    await microtasks();
    expect(behindDone).toBe(false);
    journal.releaseAll();
    await microtasks();
    expect(state.done).toBe(1);
    expect(behindDone).toBe(true);
  });
});
