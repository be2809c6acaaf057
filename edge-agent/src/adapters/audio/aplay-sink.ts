/**
 * The `alsa` sink (ARCHITECTURE §6): pipes PCM into `aplay` on the receiver, one aplay per play. Node paces
 * the writes (a little ahead, `leadMs`, so ALSA never underruns) instead of letting the pipe buffer ~0.7 s,
 * so stop() silences the street within a frame: the process is killed, not drained.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { errorMessage } from "@loa/shared";
import { PCM_CHANNELS, PCM_SAMPLE_RATE, type SinkPlayOptions } from "../../ports/audio.js";
import { PacedSink, type PacedSinkDeps, type PcmOutput } from "./paced-sink.js";

export interface AplaySinkDeps extends PacedSinkDeps {
  /** ALSA device (`aplay -D`), e.g. "plughw:0,0"; default: ALSA's default device. */
  device?: string;
  /** The program to run; default "aplay" (tests put a stand-in here). */
  command?: string;
  /** How long to wait for aplay to drain after the last frame. Default 3,000 ms. */
  drainTimeoutMs?: number;
}

export function aplayArgs(device?: string): string[] {
  const args = ["-q", "-t", "raw", "-f", "S16_LE", "-c", String(PCM_CHANNELS), "-r", String(PCM_SAMPLE_RATE)];
  if (device) args.push("-D", device);
  args.push("-");
  return args;
}

export class AplaySink extends PacedSink {
  private readonly device: string | undefined;
  private readonly command: string;
  private readonly drainTimeoutMs: number;

  constructor(deps: AplaySinkDeps) {
    super({ ...deps, leadMs: deps.leadMs ?? 100 });
    this.device = deps.device;
    this.command = deps.command ?? "aplay";
    this.drainTimeoutMs = deps.drainTimeoutMs ?? 3_000;
  }

  protected async open(_opts: SinkPlayOptions): Promise<PcmOutput> {
    const child = spawn(this.command, aplayArgs(this.device), { stdio: ["pipe", "ignore", "pipe"] }) as unknown as ChildProcessWithoutNullStreams;
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => (stderr = (stderr + s).slice(-1_000)));
    child.stdin.on("error", () => undefined); // EPIPE when aplay dies: reported by write() below
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    await once(child, "spawn"); // rejects with the spawn error (ENOENT: no aplay)
    const died = (): Error => new Error(`aplay exited: ${stderr.trim() || "no output"}`);
    return {
      write: async (frame) => {
        if (child.exitCode !== null || child.signalCode !== null) throw died();
        if (child.stdin.write(frame)) return;
        const drained = once(child.stdin, "drain").then(() => "drain" as const);
        if ((await Promise.race([drained, exited.then(() => "exit" as const)])) === "exit") throw died();
      },
      close: async ({ stopped }) => {
        if (stopped) child.kill("SIGTERM");
        else child.stdin.end();
        const timer = this.clock.setTimeout(() => child.kill("SIGKILL"), stopped ? 500 : this.drainTimeoutMs);
        const { code, signal } = await exited;
        timer.cancel();
        if (!stopped && code !== 0) throw new Error(`aplay failed (${code ?? signal ?? "?"}): ${errorMessage(stderr.trim())}`);
      },
      usable: () => child.exitCode === null && child.signalCode === null,
      abort: async () => {
        child.kill("SIGKILL");
        await exited;
      },
    };
  }
}
