/**
 * kill -9 against the real compiled outbox (ARCHITECTURE §3 "Nothing lost"): a child process appends events
 * and reports each seq once `append` resolved; it is SIGKILLed at random moments. After each kill, every
 * confirmed seq must still be there (or covered by an ack that may have become durable), and new seqs must be
 * above all seqs ever handed out.
 *
 * The child reports through a file written with writeSync, not through stdout: stdout is a socketpair whose
 * send buffer holds only ~280 small writes, so under CPU load (parent not reading) later lines queue inside the
 * child and die with it. A lost ack-intent line then makes a durable ack look like lost events (issue #4: seqs
 * 216–242 "lost" were acked ones), and lost confirmations silently weaken the check. A line written with
 * writeSync is in the page cache when the call returns, which a SIGKILL does not undo.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDurableFs } from "../adapters/fs/node-fs.js";
import { Outbox } from "./outbox.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dist = join(root, "edge-agent/dist");
/** The kill timer starts once the child confirmed this many events, so every timed round does some work. */
const READY_AFTER = 4;
let built = false;
let buildError = "";
let dir: string;

/** `report(line)`: append one line to the file named by the last argument, synchronously (survives the SIGKILL). */
const reportSource = `
import { openSync, writeSync } from "node:fs";
const reportFd = openSync(process.argv[process.argv.length - 1], "a");
const report = (line) => { writeSync(reportFd, line + "\\n"); };
`;

/** Plain ESM so it runs on the compiled dist without a TS loader; bare imports resolve from dist. */
const childSource = (distDir: string): string => `
import { Outbox } from ${JSON.stringify(pathToFileURL(join(distDir, "core/outbox.js")).href)};
import { NodeDurableFs } from ${JSON.stringify(pathToFileURL(join(distDir, "adapters/fs/node-fs.js")).href)};
${reportSource}
const noop = () => {};
const log = { info: noop, warn: noop, error: noop, debug: noop };
const clock = { now: () => Date.now() };
const ob = new Outbox({ fs: new NodeDurableFs(), dir: process.argv[2], clock, log, compactBytes: 2048 });
await ob.open();
let i = 0;
let confirmed = 0;
let maxConfirmed = 0;
for (;;) {
  const batch = Array.from({ length: 1 + (i % 7) }, () => ({ type: "play_finished", playId: "p:" + i++, playedMs: 1 }));
  await Promise.all(batch.map((e) => ob.append(e).then((s) => {
    report("C " + s);
    maxConfirmed = Math.max(maxConfirmed, s);
    if (++confirmed === ${READY_AFTER}) process.stdout.write("R\\n");
  })));
  if (Math.random() < 0.3 && maxConfirmed > 3) {
    const up = maxConfirmed - 3;
    report("I " + up); // intent, before the ack starts: the ack may be durable before "A" is written
    await ob.ack(up);
    report("A " + up);
  }
}
`;

interface Round {
  confirmed: number[];
  /** Highest ack that resolved (durable) and highest one asked for (maybe durable). */
  acked: number;
  intended: number;
  stderr: string;
}

/** Run `script ...args` (last: the report file); SIGKILL it `killAfterMs` after its "R" line (or spawn). */
function runAndKill(script: string, args: string[], killAfterMs: number, waitForReady: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs));
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      if (waitForReady && d.includes("R")) arm();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    if (!waitForReady) arm();
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve(stderr);
    });
  });
}

/** The complete lines of a report file (a line cut by the kill has no newline and is not counted). */
async function readReport(path: string, stderr: string): Promise<Round> {
  const text = existsSync(path) ? await readFile(path, "utf8") : "";
  const round: Round = { confirmed: [], acked: 0, intended: 0, stderr };
  for (const line of text.split("\n").slice(0, -1)) {
    const [kind, n] = line.split(" ");
    if (kind === "C") round.confirmed.push(Number(n));
    if (kind === "A") round.acked = Math.max(round.acked, Number(n));
    if (kind === "I") round.intended = Math.max(round.intended, Number(n));
  }
  return round;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-outbox-kill-"));
  try {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    await promisify(execFile)(process.execPath, [tsc, "-b", join(root, "edge-agent/tsconfig.json")], { cwd: root });
    built = existsSync(join(dist, "core/outbox.js")) && existsSync(join(dist, "adapters/fs/node-fs.js"));
    if (!built) buildError = "build produced no edge-agent/dist/core/outbox.js";
  } catch (err) {
    buildError = String((err as { stdout?: string }).stdout ?? err).slice(0, 2000);
  }
  if (!built && process.env.CI === "true") throw new Error(`edge-agent build failed under CI=true:\n${buildError}`);
  if (!built) console.warn(`\n!!! SKIPPING the outbox kill -9 test: edge-agent does not build:\n${buildError}\n`);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Outbox under kill -9", () => {
  it("harness: every report line written before a SIGKILL reaches the parent", async () => {
    // Over stdout (the old channel) 4 tries in 5 got only 282..1725 of the 2000 lines: the rest were still
    // queued inside the child when it died.
    const script = join(dir, "report-check.mjs");
    await writeFile(script, `${reportSource}\nfor (let n = 1; n <= 2000; n++) report("C " + n);\nprocess.kill(process.pid, "SIGKILL");\n`);
    const path = join(dir, "report-check.txt");
    const stderr = await runAndKill(script, [path], 20_000, true);
    const res = await readReport(path, stderr);
    expect(res.stderr).toBe("");
    expect(res.confirmed).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1));
  });

  it("keeps every confirmed seq and never hands a seq out twice", async (ctx) => {
    if (!built) ctx.skip();
    const script = join(dir, "child.mjs");
    await writeFile(script, childSource(dist));
    const data = join(dir, "data");
    const log = pino({ level: "silent" });
    let highest = 0;
    let ackedConfirmed = 0;
    let ackedMaybe = 0;
    let total = 0;
    for (let round = 0; round < 8; round++) {
      const waitForReady = round % 4 !== 3; // every fourth round dies at any moment, even while opening
      const path = join(dir, `report-${round}.txt`);
      const killAfterMs = Math.floor(Math.random() * (waitForReady ? 150 : 300));
      const res = await readReport(path, await runAndKill(script, [data, path], killAfterMs, waitForReady));
      expect(res.stderr).toBe("");
      if (waitForReady) expect(res.confirmed.length).toBeGreaterThanOrEqual(READY_AFTER);
      const minNew = Math.min(...res.confirmed);
      if (res.confirmed.length > 0) expect(minNew).toBeGreaterThan(highest);
      ackedConfirmed = Math.max(ackedConfirmed, res.acked);
      ackedMaybe = Math.max(ackedMaybe, res.intended);
      total += res.confirmed.length;

      const ob = new Outbox({ fs: new NodeDurableFs(), dir: data, clock: new FakeClock(), log });
      await ob.open();
      const present = (ob.pending(1e9, Number.POSITIVE_INFINITY)?.events ?? []).map((e) => e.seq);
      expect(present).toEqual([...present].sort((a, b) => a - b));
      expect(new Set(present).size).toBe(present.length);
      const lost = res.confirmed.filter((s) => s > ackedMaybe && !present.includes(s));
      expect(lost).toEqual([]);
      expect(present.filter((s) => s <= ackedConfirmed)).toEqual([]);
      highest = Math.max(highest, ...res.confirmed);
      expect(ob.stats().lastSeq).toBeGreaterThanOrEqual(highest);
      const next = await ob.append({ type: "play_missed", playId: `parent:${round}` });
      expect(next).toBeGreaterThan(highest);
      highest = next;
      await ob.close();
    }
    expect(total).toBeGreaterThan(20);
  }, 120_000);
});
