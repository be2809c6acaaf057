/**
 * `loa-sim <command>` (ARCHITECTURE §9): wiring only. Each subcommand lives in its own module, loaded on
 * demand so `loa-sim amp` never pulls in the fleet's edge-agent code.
 */
import type { CliIo, SubcommandModule } from "./cli/io.js";

interface Subcommand {
  summary: string;
  load: () => Promise<SubcommandModule>;
}

/** Add `fleet: { summary, load: () => import("./fleet/cli.js") }` here when the fleet exists. */
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  amp: { summary: "amplifier firmware simulator on a serial line (Modbus RTU slave)", load: () => import("./cli/amp.js") },
};

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`);
  return `usage: loa-sim <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nloa-sim <command> --help for its options\n`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    io.stderr.write(`loa-sim: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await sub.load()).run(rest, io);
}

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
