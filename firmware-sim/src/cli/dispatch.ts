/**
 * `loa-sim <command>` dispatch (ARCHITECTURE §9). Each subcommand lives in its own module, loaded on demand
 * so `loa-sim amp` never pulls in the fleet's edge-agent code.
 */
import type { CliIo, SubcommandModule } from "./io.js";

export interface Subcommand {
  summary: string;
  load: () => Promise<SubcommandModule>;
}

/**
 * The subcommands. `loa-sim fleet` plugs in with one line:
 * `fleet: { summary: "...", load: () => import("../fleet/cli.js") }` (a module exporting `run(argv, io)`).
 */
export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  amp: { summary: "amplifier firmware simulator on a serial line (Modbus RTU slave)", load: () => import("./amp.js") },
  fleet: { summary: "N simulated receivers (real edge-agent code, emulated amplifiers) against a cloud", load: () => import("../fleet/cli.js") },
};

function usage(commands: Readonly<Record<string, Subcommand>>): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`);
  return `usage: loa-sim <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nloa-sim <command> --help for its options\n`;
}

/** Runs the named subcommand; resolves with the process exit code. */
export async function dispatch(argv: string[], io: CliIo, commands: Readonly<Record<string, Subcommand>> = SUBCOMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(usage(commands));
    return name === undefined ? 2 : 0;
  }
  const sub = commands[name];
  if (!sub) {
    io.stderr.write(`loa-sim: unknown command "${name}"\n\n${usage(commands)}`);
    return 2;
  }
  return (await sub.load()).run(rest, io);
}
