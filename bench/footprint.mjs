/**
 * footprint: the compiled receiver (`node edge-agent/dist/main.js --config edge.json`, what loa-edge runs on
 * a Pi) idle with a plan of 20 plays, then during a play, against a bare `node -e "setInterval(()=>{},1e3)"`.
 * Targets: idle RSS ≤ baseline + 25 MB, idle CPU ≤ 1 % of a core.
 *
 * Method: a real cloud (child process) with one provisioned receiver and 20 `at` broadcasts in the coming
 * hours; the amplifier is the firmware simulator (`loa-sim amp`) on a socat PTY pair, so the real serial
 * driver polls it; the sink is the WAV file sink (real ffmpeg decoding, as on a Pi minus the sound card).
 * Once the cloud reports all 20 plays `ready` (plan applied, media downloaded), the receiver settles, then
 * RSS (VmRSS) and CPU (utime+stime from /proc/<pid>/stat) are read over the idle window. Then a broadcast
 * a few seconds ahead is added and the same is read while it plays, for the receiver alone and with its
 * ffmpeg decoder.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, check, max, result, runBench, round, sleep, waitFor, MB } from "./lib/bench.mjs";
import { speechFile } from "./lib/audio.mjs";
import { adminApi, spawnCloud } from "./lib/cloud.mjs";
import { CLK_TCK, procSample, rssOf, treeSample } from "./lib/proc.mjs";
import { seedAreas } from "./lib/seed.mjs";

// LOA_BENCH_EDGE_MAIN: another build of the receiver to measure (e.g. a bundled one), default the compiled one.
const EDGE_MAIN = process.env.LOA_BENCH_EDGE_MAIN ?? join(ROOT, "edge-agent", "dist", "main.js");
const LOA_SIM = join(ROOT, "firmware-sim", "bin", "loa-sim.js");
const UNIT = join(ROOT, "edge-agent", "deploy", "loa-edge.service");

/** The node flags of the receiver as deployed: those of ExecStart in the systemd unit (the launcher's shebang has the same, a test checks). */
function deployedNodeFlags(unitText = readFileSync(UNIT, "utf8")) {
  const exec = /^ExecStart=(.*)$/m.exec(unitText)?.[1] ?? "";
  const words = exec.trim().split(/\s+/);
  const flags = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith("--")) break;
    flags.push(w);
  }
  return flags;
}

/** RSS samples (bytes) every second and CPU over the window, of the process or its whole tree. */
async function measure(pid, seconds, { tree = false } = {}) {
  const sample = tree ? () => treeSample(pid) : async () => ({ ...(await procSample(pid)), rssBytes: await rssOf(pid) });
  const first = await sample();
  const t = performance.now();
  const rss = [first.rssBytes];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    rss.push((await sample()).rssBytes);
  }
  const last = await sample();
  const elapsedS = (performance.now() - t) / 1000;
  return { rssMb: rss[rss.length - 1] / MB, rssMaxMb: max(rss) / MB, cpuPct: ((last.cpuTicks - first.cpuTicks) / CLK_TCK / elapsedS) * 100 };
}

async function uploadBulletin(api, dir, seconds) {
  const audio = await speechFile(dir, seconds, "mp3");
  const form = new FormData();
  form.append("title", `footprint ${seconds} s`);
  form.append("file", new Blob([await (await import("node:fs/promises")).readFile(audio.path)], { type: "audio/mpeg" }), "speech.mp3");
  return (await api.post("/api/v1/bulletins", form)).bulletin;
}

/** socat PTY pair + the amplifier simulator on one end; returns the other end and a stop function. */
async function startAmplifier(dir) {
  const a = join(dir, "tty-edge");
  const b = join(dir, "tty-amp");
  const socat = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
  await waitFor("the socat PTY pair", () => existsSync(a) && existsSync(b), 5_000);
  const amp = spawn(process.execPath, [LOA_SIM, "amp", "--port", b], { stdio: ["pipe", "ignore", "ignore"] });
  await sleep(300);
  return {
    port: a,
    stop: async () => {
      for (const p of [amp, socat]) {
        const gone = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await Promise.race([gone, sleep(2000)]);
      }
    },
  };
}

function spawnNode(args) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((r) => child.once("exit", (code) => r(code)));
  return { child, exited };
}

async function stopProcess({ child, exited }) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function playsOf(api, deviceId) {
  return (await api.get(`/api/v1/plays?deviceId=${deviceId}`)).items;
}

runBench("footprint", async ({ dir, smoke, note }) => {
  const plays = smoke ? 10 : 20;
  const idleS = smoke ? 2 : 10;
  const playS = smoke ? 1 : 8;
  const cloud = await spawnCloud({ dataDir: join(dir, "cloud") });
  const cleanups = [() => cloud.close()];
  try {
    const api = await adminApi(cloud.httpUrl);
    const { villageIds } = await seedAreas(api, { communes: 1, villagesPerCommune: 1 });
    const bulletin = await uploadBulletin(api, dir, smoke ? 4 : 30);
    const { device, edgeConfig } = await api.post("/api/v1/devices", { name: "footprint", areaId: villageIds[0] });
    const hour = 3_600_000;
    const t0 = Date.now() + hour;
    for (let i = 0; i < plays; i++) {
      await api.post("/api/v1/broadcasts", { bulletinId: bulletin.id, targets: { deviceIds: [device.id] }, priority: "normal", when: { at: new Date(t0 + i * hour).toISOString() } });
    }
    const amp = await startAmplifier(dir);
    cleanups.push(() => amp.stop());
    const edgeDir = join(dir, "edge");
    await mkdir(edgeDir, { recursive: true });
    const configPath = join(edgeDir, "edge.json");
    await writeFile(configPath, JSON.stringify({ ...edgeConfig, mqttUrl: cloud.mqttUrl, dataDir: join(edgeDir, "data"), amp: { transport: "serial", port: amp.port }, sink: { type: "file" }, logLevel: "warn" }));
    note(`receiver ${device.id}: waiting for its ${plays} plays to be ready`);
    // The receiver as deployed: the systemd unit's node flags. LOA_BENCH_EDGE_FLAGS replaces them (to try others; "" = none).
    const flags = process.env.LOA_BENCH_EDGE_FLAGS !== undefined ? process.env.LOA_BENCH_EDGE_FLAGS.split(" ").filter(Boolean) : deployedNodeFlags();
    note(`receiver node flags: ${flags.join(" ") || "(none)"}`);
    const receiver = spawnNode([...flags, EDGE_MAIN, "--config", configPath]);
    cleanups.push(() => stopProcess(receiver));
    const baseline = spawnNode(["-e", "setInterval(()=>{},1e3)"]);
    cleanups.push(() => stopProcess(baseline));
    await waitFor(`${plays} plays ready on the receiver`, async () => (await playsOf(api, device.id)).filter((p) => p.status === "ready").length === plays, 60_000, 250);
    await sleep(smoke ? 500 : 3_000); // start-up garbage collected, first telemetry sent
    note(`idle: measuring ${idleS} s`);
    const [idle, bare] = await Promise.all([measure(receiver.child.pid, idleS), measure(baseline.child.pid, idleS)]);
    const at = Date.now() + 4_000;
    const { broadcast } = await api.post("/api/v1/broadcasts", { bulletinId: bulletin.id, targets: { deviceIds: [device.id] }, priority: "normal", when: { at: new Date(at).toISOString() } });
    await waitFor("the play to start", async () => (await playsOf(api, device.id)).some((p) => p.broadcastId === broadcast.id && p.status === "started"), 30_000, 100);
    await sleep(500);
    note(`playing: measuring ${playS} s`);
    const [busy, busyTree] = await Promise.all([measure(receiver.child.pid, playS), measure(receiver.child.pid, playS, { tree: true })]);
    const limitMb = bare.rssMb + 25;
    return [
      result({
        name: "footprint",
        figures: {
          plays, idle_rss_mb: round(idle.rssMb, 1), idle_rss_max_mb: round(idle.rssMaxMb, 1), idle_cpu_pct: round(idle.cpuPct, 2),
          play_rss_mb: round(busy.rssMaxMb, 1), play_cpu_pct: round(busy.cpuPct, 1), play_tree_rss_mb: round(busyTree.rssMaxMb, 1), play_tree_cpu_pct: round(busyTree.cpuPct, 1),
        },
        baseline: { rss_mb: round(bare.rssMb, 1), cpu_pct: round(bare.cpuPct, 2) },
        ratio: idle.rssMb / bare.rssMb,
        target: "idle RSS ≤ baseline + 25 MB; idle CPU ≤ 1 %",
        checks: [check("idle RSS MB", idle.rssMaxMb, round(limitMb, 1)), check("idle CPU %", idle.cpuPct, 1)],
        notes: `receiver with a serial amplifier (loa-sim amp on socat) and the WAV file sink, node flags of the systemd unit (${flags.join(" ") || "none"}); play figures include ffmpeg in the tree ones`,
      }),
    ];
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
});
