/**
 * Runs a tool without a shell (arguments are never parsed by one), with a deadline and bounded output:
 * a damaged file can make ffmpeg print megabytes of complaints, so stderr keeps its head and its tail.
 */
import { spawn } from "node:child_process";
import { SystemClock, type Clock } from "@loa/shared";

export interface RunOptions {
  timeoutMs: number;
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  clock?: Clock;
  maxStdoutBytes?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 1024 * 1024;

/** Keeps the first HEAD_BYTES and the last TAIL_BYTES of a stream. */
class BoundedText {
  private head = "";
  private tail = "";
  private dropped = false;

  push(chunk: string): void {
    if (this.head.length < HEAD_BYTES) {
      const room = HEAD_BYTES - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    this.tail += chunk;
    if (this.tail.length > TAIL_BYTES) {
      this.tail = this.tail.slice(this.tail.length - TAIL_BYTES);
      this.dropped = true;
    }
  }

  text(): string {
    return this.dropped ? `${this.head}\n[...]\n${this.tail}` : this.head + this.tail;
  }
}

export function runProcess(bin: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const clock = opts.clock ?? new SystemClock();
  const maxStdout = opts.maxStdoutBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    const stderr = new BoundedText();
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      if (stdout.length < maxStdout) stdout += s;
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => stderr.push(s));
    child.once("error", (err) => {
      timer.cancel();
      reject(err);
    });
    child.once("close", (code, signal) => {
      timer.cancel();
      resolve({ code, signal, stdout, stderr: stderr.text(), timedOut });
    });
    if (opts.input !== undefined && child.stdin) {
      // A child that exits without reading its stdin must not crash us with EPIPE.
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.input, "utf8");
    }
  });
}
