/**
 * The markdown table of a run (bench/results/latest.md, copied into docs/performance.md): one row per
 * result with each target's measured value against its limit, then every figure.
 */
import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

export function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? "unknown"}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    kernel: `${process.platform} ${release()}`,
  };
}

const fmt = (v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000)) : String(v));

function checksText(r) {
  if (r.error) return `error: ${r.error}`;
  return r.checks.map((c) => `${c.what} ${fmt(c.value)} (${c.op ?? "≤"} ${fmt(c.limit)})${c.pass ? "" : c.enforced === false ? " over (report only)" : " MISSED"}`).join("; ");
}

function baselineText(r) {
  if (!r.baseline) return "—";
  return Object.entries(r.baseline).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
}

function figuresText(r) {
  return Object.entries(r.figures ?? {}).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
}

/** Text safe inside a table cell. */
const cell = (text) => String(text).replaceAll("|", "\\|").replaceAll("\n", " ");

export function renderMarkdown({ results, runs, totalS, smoke, partial }) {
  const m = machine();
  const lines = [
    `# Benchmark results${smoke ? " (smoke run: N=10, targets not enforced)" : ""}`,
    "",
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC at commit ${gitCommit()}; ${partial ? "part of the suite" : "whole suite"} in ${totalS} s.`,
    `Machine: ${m.cpu}, ${m.memory} RAM, ${m.kernel}, Node ${m.node}. Loopback only.`,
    "",
    "| benchmark | target | measured (limit) | baseline | ratio | pass |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const ratio = r.ratio === null || r.ratio === undefined ? "—" : `${fmt(r.ratio)}×`;
    lines.push(`| ${cell(r.name)} | ${cell(r.target || "—")} | ${cell(checksText(r) || "—")} | ${cell(baselineText(r))} | ${ratio} | ${r.pass ? "yes" : "**no**"} |`);
  }
  lines.push("", "## Figures", "");
  for (const r of results) {
    lines.push(`- **${r.name}**: ${figuresText(r) || "—"}${r.notes ? ` — ${r.notes}` : ""}`);
    if (r.histogram) lines.push(`  - per second (s: count): ${Object.entries(r.histogram).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
  }
  lines.push("", "## Time per benchmark", "", ...runs.map((x) => `- ${x.bench}: ${x.seconds} s`), "");
  return lines.join("\n");
}
