/** The simulator's control interface on a text stream (stdin): one command per line, answers on `output`. */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { AmpEngine } from "../core/amp-engine.js";
import { ControlError, executeCommand, parseCommandLine } from "./commands.js";

export interface LineControl {
  close(): void;
}

export function startLineControl(engine: AmpEngine, input: Readable, output: Writable, onQuit: () => void): LineControl {
  const rl = createInterface({ input, terminal: false });
  rl.on("line", (line) => {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) return;
    if (text === "quit" || text === "exit") return onQuit();
    output.write(`${answer(engine, text)}\n`);
  });
  return { close: () => rl.close() };
}

/** The text shown for one command line. */
export function answer(engine: AmpEngine, line: string): string {
  try {
    const cmd = parseCommandLine(line);
    const result = executeCommand(engine, cmd);
    if (cmd.op === "help") return String(result);
    if (cmd.op === "status") return JSON.stringify(result, null, 2);
    if (cmd.op === "trace") return (result as unknown[]).map((e) => JSON.stringify(e)).join("\n") || "(trace is empty)";
    const s = engine.state();
    return `ok faults=[${s.faults.join(",")}] delay=${s.responseDelayMs}ms noise=${s.noise.rate}/${s.noise.mode} signal=${s.signalLevel}`;
  } catch (err) {
    if (err instanceof ControlError) return `error: ${err.message}`;
    throw err;
  }
}
