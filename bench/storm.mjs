/**
 * storm: 2,000 simulated receivers connected, then the cloud (with its embedded broker) restarted. Targets:
 * all back online within 30 s, no event lost or stored twice, reconnects spread out (the per-second
 * histogram is reported).
 *
 * Method: the fleet set-up of fanout/sync with 2,000 receivers (real agents, real outboxes). A 3 s
 * bulletin is broadcast `at` a moment just after the cloud goes down, so every receiver plays it from its
 * plan while the cloud is away and keeps `play_started`/`play_finished` in its outbox. The cloud is closed
 * cleanly (as `systemctl restart` does) and started again on the same data and ports. "Back online" is the
 * cloud's view: the receiver's birth reached the new cloud's presence. Then every outbox must drain (acks),
 * and the journal must hold every (receiver, seq) the cloud acknowledged exactly once.
 */
import { check, max, percentile, result, round, runBench, sleep, waitFor } from "./lib/bench.mjs";
import { spawnCloud } from "./lib/cloud.mjs";
import { startFleetProcesses } from "./lib/fleet.mjs";
import { journalCheck } from "./lib/journal-check.mjs";
import { seededCloud } from "./lib/scenario.mjs";

/** Reconnects per second after `t0`: {"0": n, "1": n, ...}. */
function histogram(times, t0) {
  const h = {};
  for (const t of times) {
    const s = Math.max(0, Math.floor((t - t0) / 1000));
    h[s] = (h[s] ?? 0) + 1;
  }
  return h;
}

runBench("storm", async ({ dir, smoke, note }) => {
  const n = smoke ? 10 : 2_000;
  note(`seeding a cloud with ${n} receivers`);
  const s = await seededCloud({ dir, devices: n, bulletins: [3] });
  let cloud = s.cloud;
  const fleet = await startFleetProcesses({ dir, records: s.records, mqttUrl: cloud.mqttUrl, processes: smoke ? 1 : 2, jitterMs: smoke ? 0 : 5_000 });
  try {
    await fleet.waitOnline(n, 120_000);
    await waitFor(`${n} receivers online in the cloud`, async () => (await cloud.stats()).online >= n, 60_000, 500);
    await sleep(2_000);
    const bulletin = s.bulletins[0];
    const at = Math.ceil((Date.now() + (smoke ? 5_000 : 12_000)) / 1000) * 1000;
    await s.api.post("/api/v1/broadcasts", { bulletinId: bulletin.id, targets: { deviceIds: s.records.map((r) => r.deviceId) }, priority: "normal", when: { at: new Date(at).toISOString() } });
    await sleep(Math.max(0, at - 1_000 - Date.now()));
    note(`restarting the cloud (the broadcast plays at ${new Date(at).toISOString().slice(11, 19)} while it is away)`);
    const down = Date.now();
    await cloud.close();
    cloud = await spawnCloud({ dataDir: s.dataDir, httpPort: cloud.httpPort, mqttPort: cloud.mqttPort, env: s.env });
    const up = Date.now();
    let online = 0;
    // Bounded (the suite must stay under 10 minutes): when some are not back by then, that is the figure.
    const waitS = smoke ? 30 : 35;
    await waitFor(`${n} receivers back online`, async () => (online = (await cloud.stats()).online) >= n, waitS * 1000, 250).catch(() => undefined);
    const times = await cloud.onlineTimes();
    // The receivers' own view: connected to the new broker, subscribed and birth sent.
    const fleetOnline = (await fleet.summary()).online;
    const allBackS = online >= n ? (max(times) - down) / 1000 : (Date.now() - down) / 1000;
    note(`${online} back online, the last ${allBackS.toFixed(1)} s after the restart began; waiting for the outboxes`);
    await waitFor("every outbox acknowledged", async () => (await fleet.summary()).outboxDepth === 0, 25_000, 500).catch(() => undefined);
    const summary = await fleet.summary();
    await fleet.stop();
    await cloud.close();
    // Lost = acknowledged by the cloud but not in its journal; what is still in an outbox is not lost yet
    // (outbox_left says how much, and fails the run too).
    const j = await journalCheck(s.dataDir, summary.ackedSeqs);
    const hist = histogram(times, down);
    const since = times.map((t) => (t - down) / 1000);
    note(`events: ${j.expected} acknowledged, ${j.lost} lost, ${j.duplicated} doubled; reconnects per second ${JSON.stringify(hist)}`);
    const peak = Math.max(...Object.values(hist));
    return [
      {
        ...result({
          name: "storm",
          figures: {
            receivers: n, back_online: online, receivers_connected: fleetOnline, all_back_s: round(allBackS, 1), restart_s: round((up - down) / 1000, 1), p50_back_s: round(percentile(since, 50), 1), p90_back_s: round(percentile(since, 90), 1),
            peak_per_s: peak, events_acked: j.expected, events_lost: j.lost, events_doubled: j.duplicated, outbox_left: summary.outboxDepth,
          },
          target: "all back online ≤ 30 s; no event lost or doubled; reconnects spread",
          checks: [check("all back s", allBackS, 30), check("back online", online, n, { atLeast: true }), check("events lost", j.lost, 0), check("events doubled", j.duplicated, 0), check("outbox left", summary.outboxDepth, 0)],
          notes: "seconds from the start of the restart (clean close, new process, same ports); back_online = births in the new cloud's presence, receivers_connected = receivers whose link says online; histogram = births reaching the new cloud per second; when not all are back, all_back_s is when the wait stopped",
        }),
        histogram: hist,
      },
    ];
  } finally {
    await fleet.stop();
    await cloud.close();
  }
});
