/**
 * A slice of the simulated fleet as a child process of a benchmark: real receivers (firmware-sim's
 * SimReceiver: the real Agent built by edge-agent's buildEdge, the emulated amplifier over an in-memory
 * Modbus cable, the timing sink) connected straight to the cloud's broker. Unlike `startFleet`, there is no
 * network switch (a TCP proxy in this process) in the path and nothing is provisioned: the receivers come
 * from a JSON file the benchmark seeded. Several of these share the fleet, so no single event loop holds
 * thousands of receivers.
 *
 * IPC: → {type:"started", ms} once every receiver started; then on request
 *   ← {type:"summary", reset?} → {type:"summary", total, running, online, outboxDepth, lastSeqs, ackedSeqs, lag:{p99,max}, rssMb, cpuMs}
 *   ← {type:"plays", playId} → {type:"plays", records:[{deviceId, startedAtMs, clockOffsetMs, pid}]}
 *   ← {type:"trace", since} → {type:"trace", trace:{cmd, plan, mediaReq, events, lastChunk (per receiver): epoch ms[]}}
 *   ← {type:"stop"} → stops every receiver safely, then exits.
 */
import { readFile } from "node:fs/promises";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import { pino } from "pino";
import { loadProfile } from "@loa/shared";
import { StartLine } from "@loa/edge-agent";
import { SimReceiver, receiverDirs } from "../../firmware-sim/dist/fleet/receiver.js";
import { PlayLog } from "../../firmware-sim/dist/fleet/play-log.js";
import { fleetAgentOptions } from "../../firmware-sim/dist/fleet/run-fleet.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
// To line a --cpu-prof profile (µs of the monotonic clock) up with epoch times.
if (process.env.LOA_BENCH_VERBOSE) process.stderr.write(`fleet-child ${process.pid} clock epoch_ms ${Date.now()} hr_us ${process.hrtime.bigint() / 1000n} time_origin ${performance.timeOrigin}\n`);
const records = JSON.parse(await readFile(opts.recordsPath, "utf8"));
const log = pino({ level: opts.logLevel ?? "error" }, pino.destination(2));
const profile = await loadProfile("loa-amp-v1");
const playLog = new PlayLog();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

// One start line for the slice, as run-fleet has (plays due together start in one loop).
const startLine = StartLine.forRealClock();

// opts.gcBeforeStarts (the process runs with --expose-gc): a young-generation collection ~100 ms before starts
// are due. 500 receivers share this heap, so a scavenge takes 10-30 ms here (a board's own heap: ~1 ms); one
// landing in the start instant would hold every start of the process back.
if (opts.gcBeforeStarts && typeof globalThis.gc === "function") {
  let quietUntil = 0;
  setInterval(() => {
    if (Date.now() < quietUntil) return;
    const left = startLine.nextDueIn();
    if (left === undefined || left > 120 || left < 40) return;
    quietUntil = Date.now() + 1_000;
    globalThis.gc({ type: "minor" });
  }, 10).unref();
}
const receivers = records.map(
  (record) =>
    new SimReceiver({
      record: { ...record, edgeConfig: { deviceId: record.deviceId, token: record.token, mqttUrl: opts.mqttUrl, prefix: "loa/v1", profile: "loa-amp-v1", tz: "Asia/Ho_Chi_Minh" }, provisionedAt: new Date().toISOString() },
      mqttUrl: opts.mqttUrl,
      playLog,
      profile,
      ...receiverDirs(opts.dataDir, undefined, record.deviceId),
      log: log.child({ deviceId: record.deviceId }),
      agentOptions: fleetAgentOptions(opts.agent),
      ...(opts.reconnect ? { reconnect: opts.reconnect } : {}),
      // A reboot command is not part of any benchmark: the receiver just stays stopped.
      onExit: () => undefined,
      startLine,
    }),
);

/** The agent's parts, reached through SimReceiver's runtime (a TypeScript-private field, readable from JS). */
const outboxOf = (r) => r.runtime?.agent.parts.outbox;

/** LOA_BENCH_VERBOSE: garbage collections (epoch start ms, duration ms, kind), for the timeline below. */
const gcs = [];
if (process.env.LOA_BENCH_VERBOSE) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, e.duration, e.detail?.kind]);
    if (gcs.length > 2_000) gcs.splice(0, gcs.length - 1_000);
  }).observe({ entryTypes: ["gc"] });
}

/** LOA_BENCH_VERBOSE: when this process's loop ran between two epoch times (a 1 ms timer's gaps), to stderr. */
function timeline(from, to) {
  const ticks = [];
  const t = setInterval(() => {
    ticks.push(Date.now() - from);
    if (Date.now() >= to) {
      clearInterval(t);
      const gaps = ticks.flatMap((v, i) => (i > 0 && v - ticks[i - 1] > 4 ? [`${ticks[i - 1]}→${v}`] : []));
      process.stderr.write(`fleet-child ${process.pid} loop gaps > 4 ms (ms after ${from}): ${gaps.join(" ")}\n`);
      const inWindow = gcs.filter(([at, ms]) => at + ms >= from && at <= to).map(([at, ms, kind]) => `${Math.round(at - from)}+${ms.toFixed(1)}(${kind})`);
      process.stderr.write(`fleet-child ${process.pid} gc (ms after ${from} + duration): ${inWindow.join(" ")}\n`);
    }
  }, 1);
}

/** CPU time (user + system) this process has used, ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function summary(reset) {
  let running = 0;
  let online = 0;
  let outboxDepth = 0;
  const lastSeqs = {};
  const ackedSeqs = {};
  for (const r of receivers) {
    if (r.status === "running") running++;
    if (r.online) online++;
    const outbox = outboxOf(r);
    if (outbox) {
      outboxDepth += outbox.depth();
      const st = outbox.stats();
      lastSeqs[r.deviceId] = st.lastSeq;
      ackedSeqs[r.deviceId] = st.ackedSeq;
    }
  }
  const out = { type: "summary", total: receivers.length, running, online, outboxDepth, lastSeqs, ackedSeqs, lag: { p99: Math.max(0, lag.percentile(99) / 1e6 - 10), max: Math.max(0, lag.max / 1e6 - 10) }, rssMb: process.memoryUsage.rss() / 2 ** 20, cpuMs: cpuMs() };
  if (reset) lag.reset();
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
await Promise.all(
  receivers.map(async (r) => {
    await sleep(Math.floor(Math.random() * (opts.jitterMs ?? 0)));
    await r.start().catch((err) => log.error({ deviceId: r.deviceId, err: String(err) }, "receiver failed to start"));
  }),
);
process.send?.({ type: "started", ms: performance.now() - t0 });

// When each receiver got a cmd, a plan and its latest media chunk, and published media/req and events
// (epoch ms), so a benchmark can say where the time between its API call and the end went.
const trace = { cmd: [], plan: [], mediaReq: [], events: [] };
const lastChunkAt = new Map();
function traceLinks() {
  for (const r of receivers) {
    const link = r.link; // SimReceiver's CountingLink (TypeScript-private, readable from JS)
    if (!link || link.benchTraced) continue;
    link.benchTraced = true;
    link.on("cmd", () => void trace.cmd.push(Date.now()));
    link.on("plan", () => void trace.plan.push(Date.now()));
    link.on("media", () => void lastChunkAt.set(r.deviceId, Date.now()));
    const publish = link.publish.bind(link);
    link.publish = (kind, v, o) => {
      if (kind === "mediaReq" || kind === "events") trace[kind].push(Date.now());
      return publish(kind, v, o);
    };
  }
}
traceLinks();

process.on("message", (m) => {
  if (m?.type === "summary") process.send?.(summary(Boolean(m.reset)));
  else if (m?.type === "elu") {
    // Event-loop utilisation between two epoch times (how busy this process was around a moment).
    setTimeout(() => {
      const a = performance.eventLoopUtilization();
      setTimeout(() => process.send?.({ type: "elu", elu: performance.eventLoopUtilization(a).utilization }), m.to - m.from);
      if (process.env.LOA_BENCH_VERBOSE) timeline(m.from, m.to);
    }, Math.max(0, m.from - Date.now()));
  } else if (m?.type === "trace") {
    traceLinks();
    const since = m.since ?? 0;
    const all = { ...trace, lastChunk: [...lastChunkAt.values()] };
    process.send?.({ type: "trace", trace: Object.fromEntries(Object.entries(all).map(([k, a]) => [k, a.filter((t) => t >= since)])) });
  } else if (m?.type === "plays") {
    const offsets = new Map(receivers.map((r) => [r.deviceId, r.clockOffsetMs]));
    const list = playLog.list({ playId: m.playId }).map((p) => ({ deviceId: p.deviceId, startedAtMs: p.startedAtMs, clockOffsetMs: offsets.get(p.deviceId) ?? null, pid: process.pid }));
    process.send?.({ type: "plays", records: list });
  } else if (m?.type === "stop") {
    Promise.allSettled(receivers.map((r) => r.stop())).then(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
