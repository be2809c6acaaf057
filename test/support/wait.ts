/** Waiting on the real clock in cross-part tests (the code under test keeps its Clock port; these only poll). */

/** Poll `probe` every `everyMs` until it gives something other than undefined or false; throws after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** `until` on a value read again and again until `ok` accepts it; a timeout's message shows the last value read. */
export async function untilValue<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 30_000, everyMs = 50): Promise<T> {
  let last: T | undefined;
  try {
    const accepted = await until(what, async () => {
      last = await read();
      return ok(last) ? { value: last } : undefined;
    }, ms, everyMs);
    return accepted.value;
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last read: ${JSON.stringify(last)}`, { cause: err });
  }
}

/** A negative wait (a deadline already past) returns at once. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
