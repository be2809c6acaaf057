/**
 * "No event lost or stored twice" (ARCHITECTURE §3 "Nothing lost"): read a stopped cloud's journal back and
 * check every (receiver, seq) from 1 to the highest seq the cloud acknowledged is there exactly once.
 */
import { openStore } from "../../cloud/dist/adapters/store/index.js";

/** Counts the (deviceId, seq) pairs from 1..upTo[deviceId] missing from the journal, and the extra copies. */
export async function journalCheck(dataDir, upTo) {
  const seen = new Map();
  const store = await openStore({ dataDir });
  try {
    await store.journal.replay((e) => {
      if (e.kind !== "event") return;
      const key = `${e.deviceId}|${e.seq}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
  } finally {
    await store.close();
  }
  let lost = 0;
  let duplicated = 0;
  let expected = 0;
  for (const [deviceId, last] of Object.entries(upTo)) {
    for (let seq = 1; seq <= last; seq++) {
      expected++;
      const n = seen.get(`${deviceId}|${seq}`) ?? 0;
      if (n === 0) lost++;
      if (n > 1) duplicated += n - 1;
    }
  }
  return { expected, lost, duplicated };
}

