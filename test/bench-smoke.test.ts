/**
 * The benchmarks never run inside `npm test` (CI time), but a tiny version of each (N=10, tiny sizes) does,
 * so they cannot rot: `node bench/run.mjs --smoke --out DIR` as a child process, on the compiled JS that
 * `npm test` builds first. Targets are reported, not enforced, in smoke mode; this checks that every
 * benchmark answered with a well-formed result (docs/performance.md "Result format") and that the
 * markdown table was written.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/processes.js";
import { requireTool } from "./support/tools.js";

const NAMES = ["journal", "footprint", "pipeline", "fanout", "sync", "ingest", "storm"];

interface Check {
  what: string;
  value: number;
  op: string;
  limit: number;
  pass: boolean;
  enforced?: false;
}

interface BenchResult {
  name: string;
  figures: Record<string, unknown>;
  baseline: Record<string, unknown> | null;
  ratio: number | null;
  target: string;
  pass: boolean;
  checks: Check[];
  smoke?: boolean;
  error?: string;
}

function runSmoke(out: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bench/run.mjs", "--smoke", "--out", out, ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

describe.skipIf(!requireTool("socat"))("benchmarks, smoke run (N=10)", () => {
  let out = "";
  let run: { code: number | null; stdout: string; stderr: string };
  let results: BenchResult[] = [];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "loa-bench-smoke-"));
    run = await runSmoke(out);
    results = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as BenchResult);
  }, 400_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("every benchmark answered without an error and the run exited 0", () => {
    const errors = results.filter((r) => r.error !== undefined).map((r) => `${r.name}: ${r.error}`);
    expect(errors, run.stderr.slice(-4000)).toEqual([]);
    expect(results.map((r) => r.name.split(".")[0])).toEqual(expect.arrayContaining(NAMES));
    expect(run.code).toBe(0);
  });

  it.each(NAMES)("%s printed a well-formed result: finite figures, checks with limits, a target", (name) => {
    const mine = results.filter((r) => r.name === name || r.name.startsWith(`${name}.`));
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) {
      expect(r.smoke).toBe(true);
      expect(typeof r.target).toBe("string");
      expect(r.target.length).toBeGreaterThan(0);
      expect(typeof r.pass).toBe("boolean");
      const figures = Object.entries(r.figures);
      expect(figures.length).toBeGreaterThan(0);
      for (const [key, v] of figures) expect(isFiniteNumber(v), `${r.name}.figures.${key} = ${String(v)}`).toBe(true);
      if (r.baseline !== null) for (const [key, v] of Object.entries(r.baseline)) expect(isFiniteNumber(v), `${r.name}.baseline.${key}`).toBe(true);
      expect(r.ratio === null || isFiniteNumber(r.ratio)).toBe(true);
      expect(r.checks.length).toBeGreaterThan(0);
      for (const c of r.checks) {
        expect(isFiniteNumber(c.value), `${r.name} check ${c.what}`).toBe(true);
        expect(isFiniteNumber(c.limit)).toBe(true);
        expect(c.pass).toBe(c.op === "≥" ? c.value >= c.limit : c.value <= c.limit);
      }
      expect(r.pass).toBe(r.checks.every((c) => c.pass || c.enforced === false));
    }
  });

  it("wrote the markdown table with a row per result", async () => {
    const md = await readFile(join(out, "latest.md"), "utf8");
    expect(md).toContain("| benchmark | target |");
    for (const r of results) expect(md).toContain(`| ${r.name} |`);
  });
});

describe("bench/run.mjs arguments", () => {
  it("refuses an unknown benchmark name with exit code 2 and lists the known ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "loa-bench-args-"));
    try {
      const r = await runSmoke(dir, ["nope"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown benchmark nope");
      expect(r.stderr).toContain("journal");
      expect(r.stdout).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
