/**
 * kill -9 against the real compiled outbox (ARCHITECTURE §3 "Nothing lost"): a child process appends events
 * and prints each seq once `append` resolved; it is SIGKILLed at random moments. After each kill, every
 * confirmed seq must still be there (or covered by a confirmed ack), and new seqs must be above all seqs
 * ever handed out.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
let built = false;
let buildError = "";
let dir: string;

/** Plain ESM so it runs on the compiled dist without a TS loader; bare imports resolve from dist. */
const childSource = (distDir: string): string => `
import { Outbox } from ${JSON.stringify(pathToFileURL(join(distDir, "core/outbox.js")).href)};
import { NodeDurableFs } from ${JSON.stringify(pathToFileURL(join(distDir, "adapters/fs/node-fs.js")).href)};
const noop = () => {};
const log = { info: noop, warn: noop, error: noop, debug: noop };
const clock = { now: () => Date.now() };
const ob = new Outbox({ fs: new NodeDurableFs(), dir: process.argv[2], clock, log, compactBytes: 2048 });
// stdout is a socketpair: once ~280 small lines sit unread (parent descheduled under load) its send buffer is
// full and later writes wait inside this process, so a SIGKILL loses them. A lost "C" or "A" line only weakens
// the check; a lost "I" line would hide a durable ack, so that one is awaited until the kernel has it.
const say = (line) => new Promise((resolve) => process.stdout.write(line + "\\n", resolve));
await ob.open();
process.stdout.write("O " + ob.stats().lastSeq + "\\n");
let i = 0;
let maxConfirmed = 0;
for (;;) {
  const batch = Array.from({ length: 1 + (i % 7) }, () => ({ type: "play_finished", playId: "p:" + i++, playedMs: 1 }));
  await Promise.all(batch.map((e) => ob.append(e).then((s) => {
    process.stdout.write("C " + s + "\\n");
    maxConfirmed = Math.max(maxConfirmed, s);
  })));
  if (Math.random() < 0.3 && maxConfirmed > 3) {
    const up = maxConfirmed - 3;
    await say("I " + up); // intent: the ack may be durable before "A" is printed
    await ob.ack(up);
    process.stdout.write("A " + up + "\\n");
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

function runAndKill(script: string, data: string, killAfterMs: number, waitForFirst: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, data], { stdio: ["ignore", "pipe", "pipe"] });
    const round: Round = { confirmed: [], acked: 0, intended: 0, stderr: "" };
    let buf = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs));
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, n] = line.split(" ");
        if (kind === "C") round.confirmed.push(Number(n));
        if (kind === "A") round.acked = Math.max(round.acked, Number(n));
        if (kind === "I") round.intended = Math.max(round.intended, Number(n));
        if (kind === "C" && waitForFirst) arm();
      }
    });
    child.stderr.on("data", (d: Buffer) => (round.stderr += d.toString()));
    if (!waitForFirst) arm();
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve(round);
    });
  });
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
      const waitForFirst = round % 4 !== 3; // every fourth round dies at any moment, even while opening
      const res = await runAndKill(script, data, Math.floor(Math.random() * (waitForFirst ? 150 : 300)), waitForFirst);
      expect(res.stderr).toBe("");
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
