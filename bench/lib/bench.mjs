/**
 * What every benchmark file shares: its arguments (`--smoke`), the result format the issue fixes (one JSON
 * object per result on stdout: name, figures, baseline, ratio, target, pass), and the statistics used.
 * A benchmark file is a plain ESM script run by bench/run.mjs in its own child process; progress goes to
 * stderr so stdout carries only results.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** `--smoke`: N=10 and tiny sizes; targets are reported but not enforced (the CI guard against rot). */
export const SMOKE = process.argv.includes("--smoke");

/** A progress line on stderr, prefixed with the benchmark's name and the seconds since it started. */
const t0 = Date.now();
export function note(name, msg) {
  process.stderr.write(`[${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
}

/**
 * One result. `figures` and `baseline` are flat objects of numbers (units in the key names: `_ms`, `_mb`,
 * `_pct`); `ratio` is figure/baseline for the compared figure (null when there is no baseline); `target`
 * is the target in words; `pass` whether every target is met. `checks` lists each target's
 * measured value, limit and verdict, so a miss says by how much.
 */
export function result({ name, figures, baseline = null, ratio = null, target, checks = [], notes }) {
  const pass = checks.every((c) => c.pass || c.enforced === false);
  return { name, figures, baseline, ratio: ratio === null ? null : round(ratio, 3), target, pass, checks, ...(SMOKE ? { smoke: true } : {}), ...(notes ? { notes } : {}) };
}

/**
 * A target check: `value` must be ≤ `limit` (or, with `atLeast`, ≥). `enforced: false` reports the
 * comparison without letting it fail the result (figures the issue asks to report, not to meet).
 */
export function check(what, value, limit, { atLeast = false, enforced = true } = {}) {
  const v = round(value, 3);
  const pass = Number.isFinite(v) && (atLeast ? v >= limit : v <= limit);
  return { what, value: v, op: atLeast ? "≥" : "≤", limit, pass, ...(enforced ? {} : { enforced: false }) };
}

export function emit(res) {
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

/** Synchronous clean-ups for a run stopped by a signal (the runner's time budget): temp dirs elsewhere. */
const cleanups = new Set();
export function onAbort(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/**
 * Run a benchmark body: it returns its results (an array); an error becomes a failed result with the
 * message, so the runner and the smoke test see every benchmark answer. Exits when done (open handles of
 * a failed run must not keep the child alive).
 */
export function runBench(name, body) {
  let tmp;
  // Over budget, the runner sends SIGTERM to the whole group (this process and its children), then SIGKILL.
  process.once("SIGTERM", () => {
    for (const fn of [...cleanups, () => tmp && rmSync(tmp, { recursive: true, force: true })]) {
      try {
        fn();
      } catch {
        // best effort
      }
    }
    process.exit(143);
  });
  const work = (async () => {
    const dir = await mkdtemp(join(tmpdir(), `loa-bench-${name}-`));
    tmp = dir;
    try {
      // `emit` prints a result at once, so what is measured survives a later round running over budget.
      return await body({ dir, smoke: SMOKE, note: (m) => note(name, m), emit });
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  })();
  work.then(
    (results) => {
      for (const r of results) emit(r);
      process.exit(0);
    },
    (err) => {
      note(name, `FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      emit({ name, figures: {}, baseline: null, ratio: null, target: "", pass: false, checks: [], error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    },
  );
}

// ---- statistics ----

export function round(n, digits = 2) {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Nearest-rank percentile (p in 0..100) of numbers; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const median = (values) => percentile(values, 50);
export const max = (values) => (values.length === 0 ? Number.NaN : values.reduce((a, b) => (b > a ? b : a), -Infinity));
export const mean = (values) => (values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `pred` every `everyMs` until true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what, pred, timeoutMs, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const MB = 1024 * 1024;
