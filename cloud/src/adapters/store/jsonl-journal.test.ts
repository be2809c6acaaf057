/** JsonlJournal over the real disk and over MemoryFileSystem (ARCHITECTURE §8). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { FakeClock, SystemClock } from "@loa/shared";
import type { FileSystem, JournalEntry } from "../../ports/store.js";
import { JournalEntryInvalidError, StoreClosedError, StoreWriteError } from "./errors.js";
import { journalFileFor, JsonlJournal } from "./jsonl-journal.js";
import { errnoError, FS_KINDS, makeFsEnv, silentLog, type FsEnv } from "./store-test-kit.fixture.js";

const clock = new SystemClock();
const NOV = Date.UTC(2026, 10, 15, 12);
const DEC = Date.UTC(2026, 11, 1, 0, 0, 0);
const ev = (seq: number, ts = NOV): JournalEntry => ({ kind: "event", ts, deviceId: "dev-1", seq, type: "play_started" });

function openJournal(fs: FileSystem, dir: string): Promise<JsonlJournal> {
  return JsonlJournal.open({ fs, dir: join(dir, "journal"), clock, log: silentLog });
}

async function replayAll(j: JsonlJournal): Promise<{ entries: JournalEntry[]; stats: Awaited<ReturnType<JsonlJournal["replay"]>> }> {
  const entries: JournalEntry[] = [];
  const stats = await j.replay((e) => entries.push(e));
  return { entries, stats };
}

async function appendRaw(fs: FileSystem, path: string, body: string): Promise<void> {
  const h = await fs.open(path, "append");
  await h.write(Buffer.from(body));
  await h.sync();
  await h.close();
}

describe("journalFileFor", () => {
  it("names the file by the UTC month of ts", () => {
    expect(journalFileFor(Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toBe("2026-11.jsonl");
    expect(journalFileFor(Date.UTC(2026, 11, 1))).toBe("2026-12.jsonl");
    // 06:00 on 1 Dec in Hà Nội is still November in UTC.
    expect(journalFileFor(Date.parse("2026-12-01T06:00:00+07:00"))).toBe("2026-11.jsonl");
  });

  it("answers each side of a month's edges right after naming the month (the last month is remembered)", () => {
    const start = Date.UTC(2027, 1, 1);
    const end = Date.UTC(2027, 2, 1);
    for (const [ts, name] of [
      [start + 5, "2027-02.jsonl"],
      [start, "2027-02.jsonl"],
      [start - 1, "2027-01.jsonl"],
      [end - 1, "2027-02.jsonl"],
      [end, "2027-03.jsonl"],
      [start + 1, "2027-02.jsonl"],
      [Date.UTC(2028, 1, 29, 12), "2028-02.jsonl"],
    ] as const) {
      expect(journalFileFor(ts)).toBe(name);
    }
  });
});

describe.each(FS_KINDS)("JsonlJournal (%s)", (kind) => {
  let env: FsEnv;
  let dir: string;
  beforeEach(async () => {
    env = await makeFsEnv(kind);
    dir = join(env.dir, "journal");
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("appends and replays in order; an empty journal replays nothing", async () => {
    const j = await openJournal(env.fs, env.dir);
    expect((await replayAll(j)).stats).toEqual({ entries: 0, skippedLines: 0, files: 0 });
    await j.append(ev(1), ev(2));
    await j.append({ kind: "audit", ts: NOV + 1, who: "admin", text: "đổi tên\nthôn" });
    await j.close();
    const again = await openJournal(env.base, env.dir);
    const { entries, stats } = await replayAll(again);
    expect(entries).toEqual([ev(1), ev(2), { kind: "audit", ts: NOV + 1, who: "admin", text: "đổi tên\nthôn" }]);
    expect(stats).toEqual({ entries: 3, skippedLines: 0, files: 1 });
    await again.close();
  });

  it("rotates by the entry's ts month and replays files oldest to newest", async () => {
    const j = await openJournal(env.fs, env.dir);
    await j.append(ev(3, DEC), ev(1, NOV), ev(2, NOV + 1));
    await j.append(ev(4, Date.UTC(2025, 0, 1)));
    expect((await env.base.list(dir)).sort()).toEqual(["2025-01.jsonl", "2026-11.jsonl", "2026-12.jsonl"]);
    const { entries, stats } = await replayAll(j);
    expect(entries.map((e) => e.seq)).toEqual([4, 1, 2, 3]);
    expect(stats.files).toBe(3);
    await j.close();
  });

  it("group-commits concurrent appends: one write and one fsync per file per batch", async () => {
    const j = await openJournal(env.fs, env.dir);
    await j.append(ev(0));
    env.fs.reset();
    const n = 200;
    const durableAtResolve: boolean[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        j.append(ev(i + 1)).then(async () => {
          const raw = Buffer.from((await env.base.readFile(join(dir, "2026-11.jsonl")))!).toString();
          durableAtResolve[i] = raw.includes(`"seq":${i + 1},`);
        }),
      ),
    );
    expect(durableAtResolve.filter(Boolean)).toHaveLength(n);
    expect(env.fs.count("sync")).toBeLessThanOrEqual(2);
    expect(env.fs.count("write")).toBe(env.fs.count("sync"));
    expect((await replayAll(j)).entries).toHaveLength(n + 1);
    await j.close();
  });

  it("skips and counts a torn last line, and the next appends stay readable", async () => {
    const j = await openJournal(env.fs, env.dir);
    await j.append(ev(1), ev(2));
    await j.close();
    const file = join(dir, "2026-11.jsonl");
    await appendRaw(env.base, file, '{"kind":"event","ts":1794744000000,"se'); // a crash mid-write
    const j2 = await openJournal(env.fs, env.dir);
    const before = await replayAll(j2);
    expect(before.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(before.stats.skippedLines).toBe(1);
    await j2.append(ev(3));
    expect(j2.repairedTails).toBe(1);
    await j2.append(ev(4));
    await j2.close();
    const raw = Buffer.from((await env.base.readFile(file))!).toString();
    expect(raw.endsWith("\n")).toBe(true);
    expect(raw).toContain('"se\n{"kind":"event"');
    const j3 = await openJournal(env.base, env.dir);
    const after = await replayAll(j3);
    expect(after.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(after.stats).toEqual({ entries: 4, skippedLines: 1, files: 1 });
    await j3.close();
  });

  it("repairs a torn tail in an older month's file too, and skips junk lines anywhere", async () => {
    await env.base.mkdirp(dir);
    await appendRaw(env.base, join(dir, "2026-10.jsonl"), `${JSON.stringify(ev(1, Date.UTC(2026, 9, 2)))}\n[1,2]\n\u0000\u0000\n{"kind":"nope","ts":1}\n{"kind":"play","ts"`);
    await appendRaw(env.base, join(dir, "2026-11.jsonl"), `${JSON.stringify(ev(2))}\n`);
    await appendRaw(env.base, join(dir, "README.txt"), "not a journal file\n");
    const j = await openJournal(env.fs, env.dir);
    await j.append(ev(3, Date.UTC(2026, 9, 3)));
    const { entries, stats } = await replayAll(j);
    expect(entries.map((e) => e.seq)).toEqual([1, 3, 2]);
    expect(stats).toEqual({ entries: 3, skippedLines: 4, files: 2 });
    await j.close();
  });

  it("refuses invalid entries whole, writing none of the call's entries", async () => {
    const j = await openJournal(env.fs, env.dir);
    const bad = [
      { kind: "nope", ts: NOV },
      { kind: "event", ts: Number.NaN },
      { kind: "event", ts: "2026-11-01" },
      { kind: "event", ts: -1 },
      { kind: "event", ts: NOV, big: 10n },
    ] as unknown as JournalEntry[];
    for (const e of bad) await expect(j.append(ev(1), e)).rejects.toBeInstanceOf(JournalEntryInvalidError);
    await j.append();
    expect((await replayAll(j)).stats.entries).toBe(0);
    await j.close();
  });

  it("rejects a batch whose fsync fails, then recovers on the next append", async () => {
    const j = await openJournal(env.fs, env.dir);
    await j.append(ev(1));
    env.fs.fault = (r) => (r.op === "sync" ? errnoError("EIO") : undefined);
    await expect(j.append(ev(2))).rejects.toBeInstanceOf(StoreWriteError);
    env.fs.fault = undefined;
    await j.append(ev(3));
    const seqs = (await replayAll(j)).entries.map((e) => e.seq);
    expect(seqs).toContain(1);
    expect(seqs).toContain(3);
    await j.close();
    await expect(j.append(ev(4))).rejects.toBeInstanceOf(StoreClosedError);
  });

  it("keeps a bounded number of files open when entries spread over many months", async () => {
    const j = await JsonlJournal.open({ fs: env.fs, dir, clock, log: silentLog, maxOpenFiles: 2 });
    const months = Array.from({ length: 6 }, (_, m) => ev(m, Date.UTC(2026, m, 10)));
    await j.append(...months);
    await j.append(...months.map((e) => ({ ...e, seq: Number(e.seq) + 10 })));
    expect(env.fs.count("open") - env.fs.count("close")).toBeLessThanOrEqual(2);
    const { entries } = await replayAll(j);
    expect(entries.map((e) => e.seq)).toEqual([0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15]);
    await j.close();
  });
});

describe.each(FS_KINDS)("JsonlJournal by the hour with a retention (%s)", (kind) => {
  let env: FsEnv;
  beforeEach(async () => {
    env = await makeFsEnv(kind);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const sample = (ts: number): JournalEntry => ({ kind: "telemetry", ts, deviceId: "dev-1", ampTempC: 40 });
  const open = (fs: FileSystem, now: FakeClock) =>
    JsonlJournal.open({ fs, dir: join(env.dir, "telemetry"), clock: now, log: silentLog, period: "hour", retainMs: 2 * 3_600_000 });

  it("names files by the UTC hour, deletes those past the retention when a new hour begins and at open", async () => {
    const now = new FakeClock(NOV);
    const j = await open(env.fs, now);
    await j.append(sample(NOV), sample(NOV + 3_599_999));
    await now.advance(3_600_000);
    await j.append(sample(now.now()));
    expect((await env.fs.list(join(env.dir, "telemetry"))).sort()).toEqual(["2026-11-15T12.jsonl", "2026-11-15T13.jsonl"]);
    await now.advance(2 * 3_600_000); // 15:00: the 12:00 file ended at 13:00, more than 2 h ago
    await j.append(sample(now.now()));
    expect((await env.fs.list(join(env.dir, "telemetry"))).sort()).toEqual(["2026-11-15T13.jsonl", "2026-11-15T15.jsonl"]);
    const { entries } = await replayAll(j);
    expect(entries.map((e) => e.ts)).toEqual([NOV + 3_600_000, NOV + 3 * 3_600_000]);
    await j.close();
    await now.advance(5 * 3_600_000);
    const again = await open(env.base, now); // nothing appended for hours: open prunes too
    expect((await replayAll(again)).stats).toEqual({ entries: 0, skippedLines: 0, files: 0 });
    await again.close();
  });

  it("leaves files of the other period and of the month journal alone", async () => {
    const now = new FakeClock(NOV + 10 * 3_600_000);
    await env.fs.mkdirp(join(env.dir, "telemetry"));
    await appendRaw(env.fs, join(env.dir, "telemetry", "2026-10.jsonl"), `${JSON.stringify(sample(NOV))}\n`);
    const j = await open(env.fs, now);
    expect(await env.fs.list(join(env.dir, "telemetry"))).toEqual(["2026-10.jsonl"]);
    expect((await replayAll(j)).stats.files).toBe(0);
    await j.close();
  });
});
