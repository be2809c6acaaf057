#!/usr/bin/env node
/**
 * `npm run bench [-- NAME ...] [--smoke] [--out DIR]` (ARCHITECTURE §9): runs the benchmarks, each in its
 * own child process (RSS, CPU and event-loop lag must not be shared with another benchmark), prints one
 * JSON object per result on stdout and writes a markdown table (latest.md) and the raw results
 * (latest.json, not committed) to bench/results/ (or --out). `--smoke` runs each at N=10 with tiny sizes
 * (the CI guard, test/bench-smoke.test.ts): targets are reported but do not fail the run, and nothing is
 * written unless --out is given. Exit code: 0 when every target is met (smoke: when every benchmark
 * answered), 1 otherwise, 2 for bad arguments. docs/performance.md explains the method.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { renderMarkdown } from "./lib/report.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** In run order; `budgetS` bounds a full run (the suite must stay under 10 minutes), `smokeS` a smoke run. */
export const BENCHES = [
  { name: "journal", budgetS: 120, smokeS: 30 },
  { name: "footprint", budgetS: 90, smokeS: 60 },
  { name: "pipeline", budgetS: 150, smokeS: 60 },
  { name: "fanout", budgetS: 210, smokeS: 60 },
  { name: "sync", budgetS: 120, smokeS: 60 },
  { name: "ingest", budgetS: 180, smokeS: 60 },
  { name: "storm", budgetS: 180, smokeS: 60 },
];

function parseArgs(argv) {
  const opts = { names: [], smoke: false, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") opts.smoke = true;
    else if (a === "--out") opts.out = argv[++i];
    else if (a.startsWith("--out=")) opts.out = a.slice(6);
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else opts.names.push(a);
  }
  const known = new Set(BENCHES.map((b) => b.name));
  const unknown = opts.names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  return opts;
}

/** Run one benchmark file as a child; resolves with the results it printed (or one failed result). */
function runOne(bench, smoke) {
  // LOA_BENCH_BUDGET_S overrides every budget (a slower machine).
  const budgetMs = Number(process.env.LOA_BENCH_BUDGET_S ?? (smoke ? bench.smokeS : bench.budgetS)) * 1000;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(HERE, `${bench.name}.mjs`), ...(smoke ? ["--smoke"] : [])], {
      cwd: join(HERE, ".."),
      stdio: ["ignore", "pipe", "inherit"],
      detached: true, // its own process group, so a timeout also ends what it spawned
    });
    const results = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      const parsed = parseResult(line);
      if (parsed) {
        results.push(parsed);
        process.stdout.write(`${JSON.stringify(parsed)}\n`);
      } else if (line.trim()) process.stderr.write(`[${bench.name} stdout] ${line}\n`);
    });
    let timedOut = false;
    // Over budget: SIGTERM to the group (the benchmark removes its temp dirs), SIGKILL 5 s later.
    let killer;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, "SIGTERM");
      killer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 5_000);
    }, budgetMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      if (timedOut) signalGroup(child.pid, "SIGKILL"); // whatever of the group outlived it
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      if (results.length === 0 || timedOut) {
        const why = timedOut ? `over its ${budgetMs / 1000} s budget` : `exited ${code ?? signal} without a result`;
        // Results printed before the budget ran out stand; the rest of the run is one failed entry.
        const name = results.length > 0 ? `${bench.name}.rest` : bench.name;
        const failed = { name, figures: {}, baseline: null, ratio: null, target: "", pass: false, checks: [], error: why };
        process.stdout.write(`${JSON.stringify(failed)}\n`);
        results.push(failed);
      }
      resolve({ bench: bench.name, seconds, results });
    });
  });
}

function parseResult(line) {
  if (!line.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(line);
    return typeof v === "object" && v !== null && typeof v.name === "string" && "figures" in v ? v : undefined;
  } catch {
    return undefined;
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err.message}\nusage: node bench/run.mjs [NAME ...] [--smoke] [--out DIR]\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`usage: node bench/run.mjs [NAME ...] [--smoke] [--out DIR]\nbenchmarks: ${BENCHES.map((b) => b.name).join(", ")}\n`);
    return;
  }
  const chosen = opts.names.length > 0 ? BENCHES.filter((b) => opts.names.includes(b.name)) : BENCHES;
  const started = Date.now();
  const runs = [];
  for (const bench of chosen) {
    process.stderr.write(`bench: ${bench.name}${opts.smoke ? " (smoke)" : ""}\n`);
    runs.push(await runOne(bench, opts.smoke));
  }
  const totalS = Math.round((Date.now() - started) / 1000);
  const results = runs.flatMap((r) => r.results);
  const out = opts.out ?? (opts.smoke ? undefined : join(HERE, "results"));
  if (out) {
    await mkdir(out, { recursive: true });
    const md = renderMarkdown({ results, runs, totalS, smoke: opts.smoke, partial: opts.names.length > 0 });
    await writeFile(join(out, "latest.md"), md);
    await writeFile(join(out, "latest.json"), `${JSON.stringify({ totalS, runs }, null, 1)}\n`);
  }
  const failed = results.filter((r) => (opts.smoke ? r.error !== undefined : !r.pass));
  process.stderr.write(`bench: ${results.length} results in ${totalS} s; ${failed.length === 0 ? "all targets met" : `missed: ${failed.map((r) => r.name).join(", ")}`}\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
