/**
 * The simulated fleet for a benchmark: receivers split over a few child processes (fleet-child.mjs), with
 * helpers to wait for them, read their summaries and plays, and stop them.
 */
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onAbort, sleep } from "./bench.mjs";
import { forkWorker } from "./worker.mjs";

const CHILD = fileURLToPath(new URL("./fleet-child.mjs", import.meta.url));

function forkSlice(args) {
  const gc = args.gcBeforeStarts ? ["--expose-gc", "--max-semi-space-size=64"] : [];
  const w = forkWorker(CHILD, args, { readyType: "started", execArgv: ["--max-old-space-size=4096", ...gc, ...(process.env.LOA_BENCH_FLEET_NODE_FLAGS ?? "").split(" ").filter(Boolean)] });
  return { ...w, started: w.ready };
}

/**
 * Start `records` as receivers over `processes` child processes, each starting its receivers at random
 * moments within `jitterMs`. Resolves once every receiver started.
 *
 * The receivers' data directories (plan, outbox, media cache) go to /dev/shm when there is one: a real
 * receiver has its own SD card, while a thousand simulated ones sharing this machine's disk would queue
 * behind each other's fsyncs (6-8 per download) and the benchmark would measure the disk, not Loa.
 * `gcBeforeStarts`: each slice collects its young generation ~100 ms before starts are due (fleet-child.mjs),
 * with a 64 MB semi-space so no other collection falls in the start instant.
 */
export async function startFleetProcesses({ dir, records, mqttUrl, processes, jitterMs = 0, reconnect, agent, gcBeforeStarts = false }) {
  const slices = [];
  await mkdir(dir, { recursive: true });
  const dataDir = existsSync("/dev/shm") ? await mkdtemp("/dev/shm/loa-bench-fleet-") : join(dir, "fleet-data");
  const forget = onAbort(() => rmSync(dataDir, { recursive: true, force: true }));
  for (let p = 0; p < processes; p++) {
    const mine = records.filter((_, i) => i % processes === p);
    const recordsPath = join(dir, `fleet-${p}.json`);
    await writeFile(recordsPath, JSON.stringify(mine));
    slices.push(forkSlice({ recordsPath, mqttUrl, dataDir, jitterMs, reconnect, agent, gcBeforeStarts }));
  }
  try {
    await Promise.all(slices.map((s) => s.started));
  } catch (err) {
    for (const s of slices) s.child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    total: records.length,
    /** Summaries of every slice merged. */
    async summary(reset = false) {
      const parts = await Promise.all(slices.map((s) => s.ask("summary", { reset })));
      return {
        total: sum(parts, "total"), running: sum(parts, "running"), online: sum(parts, "online"), outboxDepth: sum(parts, "outboxDepth"),
        lastSeqs: Object.assign({}, ...parts.map((p) => p.lastSeqs)),
        ackedSeqs: Object.assign({}, ...parts.map((p) => p.ackedSeqs)),
        lagP99Ms: Math.max(...parts.map((p) => p.lag.p99)), lagMaxMs: Math.max(...parts.map((p) => p.lag.max)),
        rssMb: sum(parts, "rssMb"),
        cpuMs: sum(parts, "cpuMs"),
      };
    },
    /** Moments (epoch ms, at or after `since`) each receiver got a cmd, plan, 16th chunk, sent media/req, events. */
    async trace(since) {
      const parts = await Promise.all(slices.map((s) => s.ask("trace", { since })));
      const out = {};
      for (const p of parts) for (const [k, a] of Object.entries(p.trace)) (out[k] ??= []).push(...a);
      return out;
    },
    /** Event-loop utilisation of each slice between two epoch times (0..1). */
    async elu(from, to) {
      return (await Promise.all(slices.map((s) => s.ask("elu", { from, to })))).map((m) => m.elu);
    },
    async plays(playId) {
      const parts = await Promise.all(slices.map((s) => s.ask("plays", { playId })));
      return parts.flatMap((p) => p.records);
    },
    async waitOnline(count, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = await this.summary();
        if (s.online >= count) return s;
        if (Date.now() > end) throw new Error(`only ${s.online} of ${count} receivers online after ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    async stop() {
      for (const s of slices) if (s.child.connected) s.child.send({ type: "stop" });
      await Promise.race([Promise.all(slices.map((s) => s.exited)), sleep(30_000)]);
      for (const s of slices) if (s.child.exitCode === null) s.child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
      forget();
    },
  };
}

function sum(parts, key) {
  return parts.reduce((n, p) => n + p[key], 0);
}
