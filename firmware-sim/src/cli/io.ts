/** What a `loa-sim` subcommand gets from the process, injectable so tests run it in-process. */
import { LoaError } from "@loa/shared";
import type { Readable, Writable } from "node:stream";

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export class CliUsageError extends LoaError {
  constructor(message: string) {
    super("cli_usage", message);
  }
}

/**
 * A subcommand module: `run` resolves with the exit code. `loa-sim fleet` (firmware-sim/src/fleet/) plugs in
 * by exporting the same shape and adding one line to the table in main.ts.
 */
export interface SubcommandModule {
  run(argv: string[], io: CliIo): Promise<number>;
}
