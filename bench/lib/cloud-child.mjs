/**
 * The whole cloud (startCloud, compiled) as a child process of a benchmark, so its event-loop lag, RSS and
 * CPU are its own. Settings come as one JSON argument; it answers over IPC:
 *   → {type:"ready", httpUrl, httpPort, mqttPort, startMs, adminPassword}
 *   ← {type:"stats", reset?} → {type:"stats", lag:{p50,p99,max,mean} ms since the last reset, rssMb, cpuMs}
 *   ← {type:"watch-media", sha256} → later {type:"media-ready", deviceId, at} for each first media_ready
 *     of that file the cloud receives (the fanout benchmark's end point, seen from inside the cloud)
 *   ← {type:"online-times"} → {type:"online-times", times}: when each device first came online here
 *   ← {type:"close"} → closes the cloud cleanly and exits 0.
 * SIGKILL from the parent is the crash case (storm).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pino } from "pino";
import { loadCloudConfig, startCloud } from "../../cloud/dist/index.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
const t0 = performance.now();

const config = loadCloudConfig({
  env: {
    LOA_HTTP_PORT: String(opts.httpPort ?? 0),
    LOA_MQTT_PORT: String(opts.mqttPort ?? 0),
    LOA_MQTT_WS_PORT: "off",
    LOA_HOST: "127.0.0.1",
    LOA_DATA_DIR: opts.dataDir,
    LOA_ADMIN_PASSWORD: opts.adminPassword,
    LOA_LOG_LEVEL: opts.logLevel ?? "warn",
    ...(opts.env ?? {}),
  },
});
const log = pino({ level: config.logLevel }, pino.destination(2));
const cloud = await startCloud(config, { log, env: process.env });
const startMs = performance.now() - t0;

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let cpuMark = process.cpuUsage();

/** Catalogued devices online, without copying each one's health (polled every 250 ms during the storm). */
let known = { devices: undefined, ids: new Set() };
function onlineCount() {
  const devices = cloud.store.catalog.data().devices;
  if (known.devices !== devices) known = { devices, ids: new Set(devices.map((d) => d.id)) };
  return cloud.presence.liveCounts((id) => known.ids.has(id)).online;
}

// The histogram holds whole intervals between checks: the lag is what exceeds the 10 ms resolution.
const ms = (ns) => Math.max(0, ns / 1e6 - 10);
function stats(reset) {
  const cpu = process.cpuUsage(cpuMark);
  const out = {
    type: "stats",
    lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max), mean: ms(lag.mean), samples: lag.count },
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    cpuMs: (cpu.user + cpu.system) / 1000,
    delivery: cloud.delivery?.stats(),
    online: onlineCount(),
  };
  if (reset) {
    lag.reset();
    cpuMark = process.cpuUsage();
  }
  return out;
}

/** When each device first came online in this cloud (the storm benchmark's reconnect histogram). */
const firstOnline = new Map();
cloud.presence.onChange((c) => {
  if (c.reason === "online" && !firstOnline.has(c.deviceId)) firstOnline.set(c.deviceId, Date.now());
});

/** media_ready per watched sha256: each device reported once, the first time the cloud sees it. */
const watched = new Map();
cloud.mqtt.on("events", (deviceId, batch) => {
  for (const e of batch.events) {
    if (e.type !== "media_ready") continue;
    const seen = watched.get(e.sha256);
    if (!seen || seen.has(deviceId)) continue;
    seen.add(deviceId);
    process.send?.({ type: "media-ready", sha256: e.sha256, deviceId, at: Date.now() });
  }
});

// LOA_BENCH_TRACE=1: a timeline of media requests and chunk publishes on stderr (to see where time goes).
if (process.env.LOA_BENCH_TRACE === "1") {
  const t = () => new Date().toISOString().slice(17, 23);
  let reqs = 0;
  let cmds = 0;
  cloud.mqtt.on("mediaReq", () => {
    if (++reqs % 100 === 1) process.stderr.write(`[cloud ${t()}] media/req #${reqs}\n`);
  });
  const publishMedia = cloud.mqtt.publishMedia.bind(cloud.mqtt);
  cloud.mqtt.publishMedia = async (sha, index, chunk) => {
    process.stderr.write(`[cloud ${t()}] chunk ${index} publish\n`);
    await publishMedia(sha, index, chunk);
    process.stderr.write(`[cloud ${t()}] chunk ${index} acked\n`);
  };
  const publish = cloud.mqtt.publish.bind(cloud.mqtt);
  cloud.mqtt.publish = (kind, id, payload) => {
    if (kind === "cmd" && ++cmds % 100 === 1) process.stderr.write(`[cloud ${t()}] cmd #${cmds}\n`);
    if (kind === "plan" && ++cmds % 100 === 1) process.stderr.write(`[cloud ${t()}] plan #${cmds}\n`);
    return publish(kind, id, payload);
  };
}

process.on("message", (m) => {
  if (m?.type === "stats") process.send?.(stats(Boolean(m.reset)));
  else if (m?.type === "online-times") process.send?.({ type: "online-times", times: [...firstOnline.values()] });
  else if (m?.type === "watch-media") watched.set(m.sha256, new Set());
  else if (m?.type === "close") {
    cloud.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.on("disconnect", () => process.exit(0));

process.send?.({ type: "ready", httpUrl: cloud.httpUrl, httpPort: cloud.httpPort, mqttPort: cloud.mqttPort, startMs, adminPassword: cloud.admin.password ?? opts.adminPassword });
