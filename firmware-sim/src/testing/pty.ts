/**
 * Real serial lines for integration tests: a socat PTY pair (two linked pseudo-terminals, like a null-modem
 * cable) and the mbpoll command-line master. Every process started here is bounded in time and killed by
 * the returned stop().
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export interface PtyPair {
  /** Link to one end (give it to the slave). */
  a: string;
  /** Link to the other end (give it to the master). */
  b: string;
  stop(): Promise<void>;
}

/** Start `socat` with links `a` and `b` in `dir`; resolves once both links exist (rejects after `timeoutMs`). */
export async function startPtyPair(dir: string, timeoutMs = 5000): Promise<PtyPair> {
  const a = join(dir, "a");
  const b = join(dir, "b");
  const child = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = (): Promise<void> => stopChild(child);
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`socat did not create ${a} and ${b} within ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { a, b, stop };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface MbpollResult {
  code: number;
  /** Reference number (as mbpoll prints it) → value. */
  values: Map<number, number>;
  output: string;
}

/**
 * Run mbpoll once (`-1`) as an RTU master at 9600 8N1 (its defaults are 19200 and even parity) with a 1 s
 * reply timeout; never runs longer than `timeoutMs`.
 */
export function mbpoll(device: string, args: string[], writes: number[] = [], timeoutMs = 10_000): Promise<MbpollResult> {
  const full = ["-m", "rtu", "-b", "9600", "-P", "none", "-o", "1", "-1", ...args, device, ...writes.map(String)];
  return new Promise((resolve) => {
    execFile("mbpoll", full, { timeout: timeoutMs, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const values = new Map<number, number>();
      for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)\s*$/gm)) values.set(Number(m[1]), Number(m[2]));
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, values, output });
    });
  });
}
