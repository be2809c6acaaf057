/**
 * A socat PTY pair for tests: two linked pseudo-terminals at fixed paths (`a`, `b`), so one end can be given
 * to the driver and the other to a slave. stop() kills socat (the line vanishes, like an unplugged adapter);
 * start() again brings a new pair up at the same paths.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class SocatPair {
  readonly a: string;
  readonly b: string;
  private child: ChildProcess | undefined;

  private constructor(readonly dir: string) {
    this.a = join(dir, "a");
    this.b = join(dir, "b");
  }

  static async create(): Promise<SocatPair> {
    const pair = new SocatPair(await mkdtemp(join(tmpdir(), "loa-pty-")));
    await pair.start();
    return pair;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn("socat", [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: "ignore" });
    this.child = child;
    child.on("exit", () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 5_000;
    while (!existsSync(this.a) || !existsSync(this.b)) {
      if (Date.now() > deadline || !this.child) throw new Error("socat did not create the PTY pair within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Kill socat and wait until it is gone (its links are removed on exit). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
