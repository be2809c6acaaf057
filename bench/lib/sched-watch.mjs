/**
 * LOA_BENCH_VERBOSE: which threads of the machine ran, and which waited for a core, between two epoch times
 * (Linux /proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns waiting in the run queue). Says whether a late
 * start was the receiver's own work or the machine giving its core to something else.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { sleep } from "./bench.mjs";

function snapshot() {
  const out = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        out.set(`${pid}/${tid}`, { run, wait, comm });
      } catch {
        // gone
      }
    }
  }
  return out;
}

/**
 * Resolves with lines "pid/tid comm run_ms wait_ms" for threads that ran or waited ≥ 0.5 ms in [from, to].
 * Each snapshot reads /proc for every thread (a few ms of CPU in this process): keep from and to outside
 * the instant being measured. Without /proc (not Linux) it says so instead.
 */
export async function schedBetween(from, to) {
  if (!existsSync("/proc/self/task")) return ["(no /proc: thread times not available)"];
  await sleep(Math.max(0, from - Date.now()));
  const a = snapshot();
  await sleep(Math.max(0, to - Date.now()));
  const b = snapshot();
  const rows = [];
  for (const [k, v] of b) {
    const p = a.get(k) ?? { run: 0, wait: 0 };
    const run = (v.run - p.run) / 1e6;
    const wait = (v.wait - p.wait) / 1e6;
    if (run >= 0.5 || wait >= 0.5) rows.push({ k, comm: v.comm, run, wait });
  }
  rows.sort((x, y) => y.run - x.run);
  return rows.map((r) => `${r.k} ${r.comm} run ${r.run.toFixed(1)} wait ${r.wait.toFixed(1)}`);
}
