/**
 * kill -9 against the real store (ARCHITECTURE §8: "a crash (kill -9) at any moment loses nothing
 * acknowledged and corrupts nothing"). A child process (test/fixtures/store-writer.mjs, running the compiled
 * store from cloud/dist) writes in a loop and prints an ack per durable write; we SIGKILL it at random
 * moments, over and over on the same data dir, and after each kill reopen the store here and check that it
 * loads and holds every acknowledged write exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../cloud/src/adapters/store/index.js";
import { ensureBuilt, ROOT } from "./support/processes.js";

const FIXTURE = join(ROOT, "test", "fixtures", "store-writer.mjs");
const KILLS_AFTER_READY = 24;
const KILLS_DURING_STARTUP = 4;

interface Round {
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

/** Run the writer and SIGKILL it `delayMs` after it is ready (or after spawn, when `duringStartup`). */
function runAndKill(dataDir: string, delayMs: number, duringStartup: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => void child.kill("SIGKILL");
    const watchdog = setTimeout(kill, 15_000); // never leave a child behind, whatever happens
    if (duringStartup) timer = setTimeout(kill, delayMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (!duringStartup && timer === undefined && (stdout + chunk).includes("ready")) timer = setTimeout(kill, delayMs);
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(watchdog);
      clearTimeout(timer);
      resolve({ lines: stdout.split("\n").filter(Boolean), stderr, code, signal });
    });
  });
}

describe("store survives kill -9 at random moments", () => {
  let dataDir: string;
  // The writer runs the compiled store (cloud/dist): `npm test` builds first; run alone, this does.
  beforeAll(() => ensureBuilt(), 320_000);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "loa-store-crash-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged catalogue change and journal entry, exactly once", { timeout: 90_000 }, async () => {
    const ackedSeqs = new Set<number>();
    let lastCatalogAck = 0;
    let catalogAcks = 0;
    let readyRounds = 0;
    const total = KILLS_AFTER_READY + KILLS_DURING_STARTUP;
    for (let round = 0; round < total; round++) {
      const duringStartup = round % 7 === 6;
      const result = await runAndKill(dataDir, duringStartup ? randomInt(0, 120) : randomInt(5, 150), duringStartup);
      expect(result.signal, `writer died on its own (code ${result.code}):\n${result.stderr}`).toBe("SIGKILL");
      for (const line of result.lines) {
        const [word, what, n] = line.split(" ");
        if (word === "ready") readyRounds++;
        if (word !== "ack") continue;
        if (what === "catalog") {
          lastCatalogAck = Math.max(lastCatalogAck, Number(n));
          catalogAcks++;
        } else ackedSeqs.add(Number(n));
      }
      await checkStore(dataDir, lastCatalogAck, ackedSeqs);
    }
    expect(readyRounds).toBeGreaterThanOrEqual(KILLS_AFTER_READY);
    // The kills must have hit a store under load, not an idle one.
    expect(catalogAcks).toBeGreaterThan(50);
    expect(ackedSeqs.size).toBeGreaterThan(200);
  });
});

async function checkStore(dataDir: string, lastCatalogAck: number, ackedSeqs: Set<number>): Promise<void> {
  const store = await openStore({ dataDir }); // throws if the catalogue were corrupt
  try {
    const data = store.catalog.data();
    const counter = typeof data.meta.counter === "number" ? data.meta.counter : 0;
    expect(counter).toBeGreaterThanOrEqual(lastCatalogAck);
    if (lastCatalogAck > 0) expect(data.devices.some((d) => d.id === `dev-${lastCatalogAck}`)).toBe(true);
    const seen = new Map<number, number>();
    await store.journal.replay((e) => {
      const s = e.seq as number;
      seen.set(s, (seen.get(s) ?? 0) + 1);
    });
    const missing = [...ackedSeqs].filter((s) => !seen.has(s));
    expect(missing, "acknowledged journal entries lost").toEqual([]);
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
    expect(duplicated, "journal entries written twice").toEqual([]);
  } finally {
    await store.close();
  }
}
