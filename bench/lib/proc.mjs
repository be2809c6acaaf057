/**
 * Reading a process's resource use from /proc (Linux): RSS, CPU ticks, and the whole tree below it (the
 * receiver's ffmpeg decoder during a play).
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux x86 and ARM). */
export const CLK_TCK = 100;

/** `{rssBytes, cpuTicks, ppid}` of one process, or undefined when it is gone. */
export async function procSample(pid) {
  let text;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { ppid, cpuTicks: utime + stime, rssBytes: rssPages * 4096 };
}

/** VmRSS from /proc/<pid>/status in bytes (resident set, what `ps` calls RSS). */
export async function rssOf(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** pid and every descendant. */
export async function treeOf(pid) {
  const parents = new Map();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = await procSample(Number(name));
    if (s) parents.set(Number(name), s.ppid);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  }
  return out;
}

/** Sum of RSS (bytes) and CPU ticks over the tree of `pid`. */
export async function treeSample(pid) {
  let rssBytes = 0;
  let cpuTicks = 0;
  for (const p of await treeOf(pid)) {
    const s = await procSample(p);
    if (!s) continue;
    rssBytes += s.rssBytes;
    cpuTicks += s.cpuTicks;
  }
  return { rssBytes, cpuTicks };
}

/** Bytes under `dir` (files only). */
export async function dirSize(dir) {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}
