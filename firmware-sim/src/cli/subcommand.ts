/**
 * What every long-running `loa-sim` subcommand (`amp`, `fleet`; ARCHITECTURE §9) does the same way: parse the
 * arguments (usage error: exit 2, --help: exit 0), build the pino logger on stderr, start (failure: exit 1),
 * and later wait for SIGINT/SIGTERM.
 */
import { pino, type Logger } from "pino";
import type { CliIo } from "./io.js";

export const LOG_LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface SubcommandSpec<O extends { logLevel: string }, R> {
  /** The subcommand's name, prefixed to its error messages (`loa-sim amp: ...`). */
  name: string;
  usage: string;
  /** Throws (a CliUsageError) on bad arguments; "help" for --help. */
  parse: (argv: string[]) => O | "help";
  start: (opts: O, log: Logger) => Promise<R>;
}

/** What was started with its options, or the exit code when the subcommand ends before running. */
export async function startSubcommand<O extends { logLevel: string }, R>(
  argv: string[],
  io: CliIo,
  spec: SubcommandSpec<O, R>,
): Promise<{ opts: O; running: R } | number> {
  let opts: O | "help";
  try {
    opts = spec.parse(argv);
  } catch (err) {
    io.stderr.write(`loa-sim ${spec.name}: ${message(err)}\n\n${spec.usage}\n`);
    return 2;
  }
  if (opts === "help") {
    io.stdout.write(`${spec.usage}\n`);
    return 0;
  }
  const log = pino({ name: "loa-sim", level: opts.logLevel }, io.stderr);
  try {
    return { opts, running: await spec.start(opts, log) };
  } catch (err) {
    io.stderr.write(`loa-sim ${spec.name}: ${message(err)}\n`);
    return 1;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves on the first SIGINT or SIGTERM, or when `quit` resolves; then listens no more. */
export function waitForStop(quit?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (quit) void quit.then(stop);
  });
}
