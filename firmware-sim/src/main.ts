/** `loa-sim` entry point (bin/loa-sim.js imports the compiled file): wiring only; subcommands in cli/dispatch.ts. */
import { dispatch } from "./cli/dispatch.js";

process.exitCode = await dispatch(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
