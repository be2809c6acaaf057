/**
 * A benchmark helper process (fleet slice, light receivers) forked with IPC: `ask(type)` sends a request and
 * resolves with the first answer of the expected type; `ready` resolves with its first message of `readyType`.
 */
import { fork } from "node:child_process";

export function forkWorker(script, args, { readyType, execArgv = [] }) {
  const child = fork(script, [JSON.stringify(args)], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
  const waiters = new Map();
  const exited = new Promise((r) => child.once("exit", r));
  child.on("message", (m) => {
    const w = waiters.get(m?.type);
    if (w) {
      waiters.delete(m.type);
      w(m);
    }
  });
  const ready = new Promise((resolve, reject) => {
    waiters.set(readyType, resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    exited,
    ready,
    /** Send `{type, ...extra}` and wait for the answer of type `answer` (default: the same type). */
    ask(type, extra = {}, answer = type) {
      return new Promise((resolve) => {
        waiters.set(answer, resolve);
        child.send({ type, ...extra });
      });
    },
    send(type, extra = {}) {
      child.send({ type, ...extra });
    },
  };
}
