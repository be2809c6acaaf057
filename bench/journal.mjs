/**
 * journal: a catalogue change with 1,000,000 proof-of-play entries in the journal, against the same change
 * with an empty journal (target ≤ 1.2×). ARCHITECTURE §8: high-rate facts go to the append-only journal and
 * never rewrite the catalogue; this checks that a big journal (and the in-memory play indexes the cloud
 * rebuilds from it at start) does not slow catalogue changes down.
 *
 * Method: one seeded data directory (areas through the API, receivers written into the catalogue) copied
 * twice; 1,000,000 play records (`kind:"play"`, `op:"set"`, the whole record, as the delivery's PlayBook
 * writes them) appended to one copy through the journal's own append, in big batches. Both clouds run at
 * once as child processes; the same change (`PATCH /api/v1/devices/:id` renaming a receiver, a catalogue
 * write plus its audit line) is timed on each in alternation, so drift in the machine hits both alike.
 */
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { openStore } from "../cloud/dist/adapters/store/index.js";
import { check, median, percentile, result, runBench, round, MB } from "./lib/bench.mjs";
import { adminApi, spawnCloud } from "./lib/cloud.mjs";
import { seedAreas, seedDevices } from "./lib/seed.mjs";
import { dirSize } from "./lib/proc.mjs";

const DAY = 86_400_000;

/** Append `total` finished plays spread over `devices` and the last 30 days, oldest first. */
async function fillJournal(dataDir, total, devices) {
  const store = await openStore({ dataDir });
  const perDevice = Math.ceil(total / devices.length);
  const start = Date.now() - 30 * DAY;
  const step = (30 * DAY) / perDevice;
  const batch = [];
  let written = 0;
  try {
    for (let k = 0; k < perDevice && written < total; k++) {
      for (const d of devices) {
        if (written >= total) break;
        const atMs = Math.round(start + k * step);
        batch.push(playLine(d, atMs, k));
        written++;
        if (batch.length === 10_000) await store.journal.append(...batch.splice(0));
      }
    }
    if (batch.length > 0) await store.journal.append(...batch.splice(0));
  } finally {
    await store.close();
  }
  return written;
}

function playLine(d, atMs, k) {
  const broadcastId = `bc_bench_${k % 50}`;
  const durationMs = 60_000;
  return {
    kind: "play",
    ts: atMs + durationMs,
    op: "set",
    play: {
      playId: `${broadcastId}:${atMs}`, broadcastId, deviceId: d.deviceId, areaId: d.areaId, atMs, durationMs,
      sha256: "5".repeat(64), status: "finished", startedAt: new Date(atMs + 3).toISOString(),
      finishedAt: new Date(atMs + durationMs).toISOString(), playedMs: durationMs, plannedVersion: 1,
    },
  };
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

runBench("journal", async ({ dir, smoke, note }) => {
  const entries = smoke ? 10 : 1_000_000;
  const deviceCount = smoke ? 10 : 1_000;
  const rounds = smoke ? 5 : 40;
  const base = join(dir, "base");
  note("seeding a cloud (areas through the API, receivers into the catalogue)");
  const seedCloud = await spawnCloud({ dataDir: base });
  const areas = await seedAreas(await adminApi(seedCloud.httpUrl), { communes: 2, villagesPerCommune: 5 });
  await seedCloud.close();
  const devices = await seedDevices(base, { count: deviceCount, villageIds: areas.villageIds });
  const emptyDir = join(dir, "empty");
  const fullDir = join(dir, "full");
  await cp(base, emptyDir, { recursive: true });
  await cp(base, fullDir, { recursive: true });
  note(`appending ${entries} play entries`);
  const t = performance.now();
  await fillJournal(fullDir, entries, devices);
  const fillS = (performance.now() - t) / 1000;
  const journalMb = (await dirSize(join(fullDir, "journal"))) / MB;
  note(`journal filled in ${fillS.toFixed(1)} s (${journalMb.toFixed(0)} MB); starting both clouds`);
  const empty = await spawnCloud({ dataDir: emptyDir });
  const full = await spawnCloud({ dataDir: fullDir });
  try {
    const apis = { empty: await adminApi(empty.httpUrl), full: await adminApi(full.httpUrl) };
    const times = { empty: [], full: [] };
    const change = (which, i) => apis[which].patch(`/api/v1/devices/${devices[i % devices.length].deviceId}`, { name: `renamed-${which}-${i}` });
    for (let i = 0; i < 3; i++) {
      await change("empty", i);
      await change("full", i);
    }
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always follows the other's fsync.
      const order = i % 2 === 0 ? ["empty", "full"] : ["full", "empty"];
      for (const which of order) times[which].push(await timed(() => change(which, i + 10)));
    }
    const [se, sf] = [await empty.stats(), await full.stats()];
    const medE = median(times.empty);
    const medF = median(times.full);
    const ratio = medF / medE;
    return [
      result({
        name: "journal",
        figures: {
          entries, journal_mb: round(journalMb, 1), fill_s: round(fillS, 1), change_median_ms: round(medF), change_p90_ms: round(percentile(times.full, 90)),
          cloud_start_ms: round(full.startMs), cloud_rss_mb: round(sf.rssMb, 1), changes: rounds,
        },
        baseline: { change_median_ms: round(medE), change_p90_ms: round(percentile(times.empty, 90)), cloud_start_ms: round(empty.startMs), cloud_rss_mb: round(se.rssMb, 1) },
        ratio,
        target: "change time ≤ 1.2× the empty journal's",
        checks: [check("ratio", ratio, 1.2)],
        notes: "change = PATCH /api/v1/devices/:id (catalogue write + audit line), median of alternating runs on two clouds",
      }),
    ];
  } finally {
    await Promise.all([empty.close(), full.close()]);
  }
});
