/**
 * Why here: core (outbox, plan store, media cache, amp control) and adapters (the Modbus master's one-request-
 * on-the-line queue, the amplifier's one-command-at-a-time chain) both need this, and adapters must not import
 * core. It is a plain helper with no port, no I/O and no edge-agent logic, so src/lib/ (importable by core and
 * adapters alike) rather than @loa/shared: nothing outside edge-agent uses it, and shared holds the contract
 * (protocol, schemas, profiles, clock), not general helpers.
 */

/** Runs async operations one at a time, in call order; one that fails does not stop the next. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
