/**
 * ingest: 10,000 receiver connections sending telemetry every 30 s and a burst of play events, against the
 * cloud idle with the same connections. Targets: cloud event-loop lag p99 ≤ 50 ms; `GET /api/v1/devices`
 * p99 ≤ 100 ms during the load; no event lost (or stored twice); RSS reported.
 *
 * Method: a cloud child (lag from monitorEventLoopDelay inside it, RSS, CPU) with 10,000 receivers seeded;
 * light receivers (light-child.mjs: real protocol, no agent) in 4 child processes connect, subscribe to
 * their ack topic, then publish their births (subscribing before the births keeps the set-up out of the
 * embedded broker's retained-message scan, which the storm benchmark measures). After the births settle,
 * the idle window: connections only. Then the load window: telemetry from every receiver every 30 s from a
 * random phase, and two bursts: every receiver reports `play_started` at the same moment, then
 * `play_finished`. Each window has two halves: the first without REST calls gives the cloud's own lag, the
 * second has the admin listing the devices every 250 ms (`GET /api/v1/devices`, its default first page of
 * 100 with live health and the total over all 10,000) and gives the REST latency and the lag with it; after
 * the load, one walk of every page at the largest size (1000, what the panel loads) is timed. Events are
 * kept by each receiver until acked and sent again after 15 s, like the outbox. At the end the journal
 * is read back: every (receiver, seq) the cloud acknowledged must be there exactly once, and nothing may be
 * left unacknowledged.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, max, percentile, result, round, runBench, sleep, waitFor } from "./lib/bench.mjs";
import { journalCheck } from "./lib/journal-check.mjs";
import { seededCloud } from "./lib/scenario.mjs";
import { forkWorker } from "./lib/worker.mjs";

const LIGHT = fileURLToPath(new URL("./lib/light-child.mjs", import.meta.url));

/** GET `path` every `everyMs` until `stop()`; the latencies in ms. */
function restProbe(api, path, everyMs) {
  const times = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t = performance.now();
      await api.get(path);
      times.push(performance.now() - t);
      await sleep(everyMs);
    }
  })();
  return { times, stop: async () => ((running = false), await done) };
}

/** Every page of the device list at the largest page size (what the panel loads), timed. */
async function walkAll(api) {
  const t = performance.now();
  let cursor = null;
  let pages = 0;
  let devices = 0;
  do {
    const page = await api.get(`/api/v1/devices?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    devices += page.items.length;
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { ms: performance.now() - t, pages, devices };
}

/**
 * A window of `seconds`: the cloud's lag, RSS and CPU over it; with `rest`, the admin lists the devices
 * every 250 ms meanwhile (the first page, default size; the listing is itself work on the cloud's event loop).
 */
async function window(s, seconds, { rest = false, during = async () => undefined } = {}) {
  await s.cloud.stats(true);
  const probe = rest ? restProbe(s.api, "/api/v1/devices", 250) : undefined;
  const t = performance.now();
  await Promise.all([sleep(seconds * 1000), during()]);
  await probe?.stop();
  const stats = await s.cloud.stats(true);
  return { lag: stats.lag, rssMb: stats.rssMb, cpuPct: (stats.cpuMs / (performance.now() - t)) * 100, rest: probe?.times ?? [] };
}

runBench("ingest", async ({ dir, smoke, note }) => {
  const n = smoke ? 10 : 10_000;
  const processes = smoke ? 1 : 4;
  const telemetryS = smoke ? 2 : 30;
  const idleS = smoke ? 2 : 10;
  const loadS = smoke ? 6 : 32;
  note(`seeding a cloud with ${n} receivers`);
  const s = await seededCloud({ dir, devices: n, communes: 10, villagesPerCommune: 10 });
  const workers = [];
  try {
    for (let p = 0; p < processes; p++) {
      const recordsPath = join(dir, `light-${p}.json`);
      await writeFile(recordsPath, JSON.stringify(s.records.filter((_, i) => i % processes === p)));
      workers.push(forkWorker(LIGHT, { recordsPath, mqttUrl: s.cloud.mqttUrl, telemetryS }, { readyType: "connected" }));
    }
    const t0 = performance.now();
    await Promise.all(workers.map((w) => w.ready));
    const connectS = (performance.now() - t0) / 1000;
    note(`${n} connected in ${connectS.toFixed(1)} s; births`);
    await Promise.all(workers.map((w) => w.ask("birth", {}, "born")));
    await waitFor(`${n} receivers online in the cloud`, async () => (await s.cloud.stats()).online >= n, 120_000, 500);
    await waitFor("the cloud to settle after the births", async () => (await s.cloud.stats(true)).lag.p99 < 20, 60_000, 1_000).catch(() => undefined);
    // Each phase in two halves: without REST calls (the cloud's own lag) and with them (REST latency).
    note(`idle: 2 × ${idleS / 2} s`);
    const idle = await window(s, idleS / 2);
    const idleRest = await window(s, idleS / 2, { rest: true });
    note(`load: 2 × ${loadS / 2} s, telemetry every ${telemetryS} s, a burst of play events in each half`);
    for (const w of workers) w.send("telemetry", { on: true });
    const burst = (event, playAt) => async () => {
      await sleep(loadS * 100);
      for (const w of workers) w.send("burst", { at: Date.now(), event, playAt });
    };
    const playAt = Date.now();
    const load = await window(s, loadS / 2, { during: burst("play_started", playAt) });
    const loadRest = await window(s, loadS / 2, { rest: true, during: burst("play_finished", playAt) });
    const walk = await walkAll(s.api);
    for (const w of workers) w.send("telemetry", { on: false });
    const report = async () => (await Promise.all(workers.map((w) => w.ask("report")))).reduce(
      (a, r) => ({ sent: a.sent + r.sent, resent: a.resent + r.resent, acked: a.acked + r.acked, pending: a.pending + r.pending, telemetry: a.telemetry + r.telemetry, ackedSeqs: { ...a.ackedSeqs, ...r.ackedSeqs } }),
      { sent: 0, resent: 0, acked: 0, pending: 0, telemetry: 0, ackedSeqs: {} },
    );
    await waitFor("every event batch acked", async () => (await report()).pending === 0, 60_000, 500).catch(() => undefined);
    const r = await report();
    for (const w of workers) w.send("stop");
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(20_000)]);
    await s.cloud.close();
    // Lost = acknowledged but not in the journal; unacked batches are counted apart (and fail too).
    const j = await journalCheck(s.dataDir, r.ackedSeqs);
    note(`events: ${r.sent} sent, ${r.acked} acked, ${r.resent} resent; journal: ${j.lost} lost, ${j.duplicated} doubled`);
    const restLoad = percentile(loadRest.rest, 99);
    return [
      result({
        name: "ingest",
        figures: {
          connections: n, connect_s: round(connectS, 1), telemetry_msgs: r.telemetry, events_sent: r.sent, events_resent: r.resent, events_lost: j.lost, events_doubled: j.duplicated, unacked: r.pending,
          lag_p99_ms: round(load.lag.p99), lag_max_ms: round(load.lag.max), lag_p99_with_rest_ms: round(loadRest.lag.p99), rest_p50_ms: round(percentile(loadRest.rest, 50)), rest_p99_ms: round(restLoad), rest_max_ms: round(max(loadRest.rest)),
          rest_calls: loadRest.rest.length, walk_all_ms: round(walk.ms), walk_pages: walk.pages, walk_devices: walk.devices, rss_mb: round(Math.max(load.rssMb, loadRest.rssMb), 1), cpu_pct: round(load.cpuPct, 1),
        },
        baseline: {
          lag_p99_ms: round(idle.lag.p99), lag_p99_with_rest_ms: round(idleRest.lag.p99), rest_p99_ms: round(percentile(idleRest.rest, 99)), rss_mb: round(idle.rssMb, 1), cpu_pct: round(idle.cpuPct, 1),
        },
        ratio: null,
        target: "lag p99 ≤ 50 ms; GET /api/v1/devices p99 ≤ 100 ms; no event lost or doubled",
        checks: [check("lag p99 ms", load.lag.p99, 50), check("REST p99 ms", restLoad, 100), check("events lost", j.lost, 0), check("events doubled", j.duplicated, 0), check("unacked", r.pending, 0), check("devices listed by the walk", walk.devices, n, { atLeast: true })],
        notes: `lag p99 from the half without REST calls; REST = the admin listing the first page (up to 100 of ${n} devices, live health, total) every 250 ms in the other half; walk_all = every page at limit 1000 once, after the load; ${processes} processes of light receivers`,
      }),
    ];
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await s.cloud.close();
  }
});
