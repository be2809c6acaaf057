/**
 * pipeline: upload of a 5-minute speech file through the API (`POST /api/v1/bulletins`, multipart) until the
 * bulletin is ready (the 201 answer), against the same ffmpeg commands run bare (target ≤ 1.15×).
 *
 * Method: the speech is espeak-ng Vietnamese looped to 300 s, saved as a 44.1 kHz stereo 128 kb/s MP3 (what
 * staff have from a phone or a PC). A whole cloud runs in this process with its log at debug, which names
 * every ffmpeg/ffprobe run (`ffmpeg run` {bin, args}: probe, the measuring decode, the encode, the output
 * probe and loudness); the baseline replays exactly those commands one after another from a plain spawn,
 * with the spooled upload replaced by the source file and the staging output by a temp file. A first
 * upload records the commands and warms up; then one bare run and one upload (one upload takes about
 * 20 s on 2 cores and the suite must stay under 10 minutes; `LOA_BENCH_PIPELINE_ROUNDS=3` alternates
 * more rounds and takes medians).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadCloudConfig, startCloud } from "../cloud/dist/index.js";
import { createDelivery } from "../cloud/dist/delivery/index.js";
import { check, median, result, round, runBench } from "./lib/bench.mjs";
import { speechFile } from "./lib/audio.mjs";
import { ADMIN_PASSWORD, adminApi } from "./lib/cloud.mjs";

/** A pino destination keeping the `ffmpeg run` records. */
function ffmpegRecorder() {
  const runs = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.includes('"ffmpeg run"')) continue;
        const rec = JSON.parse(line);
        runs.push({ bin: rec.bin, args: rec.args });
      }
      done();
    },
  });
  return { runs, stream };
}

function runBare(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}`))));
  });
}

/** The recorded commands with the upload's paths swapped: first file seen = the input, the other = output. */
function bareCommands(runs, source, output) {
  const files = [];
  for (const r of runs) for (const a of r.args) if (a.startsWith("file:") && !files.includes(a)) files.push(a);
  const [input, staged] = files;
  const swap = (a) => (a === input ? `file:${source}` : a === staged ? `file:${output}` : a);
  return runs.map((r) => ({ bin: r.bin, args: r.args.map(swap) }));
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

runBench("pipeline", async ({ dir, smoke, note }) => {
  const seconds = smoke ? 5 : 300;
  const rounds = smoke ? 1 : Number(process.env.LOA_BENCH_PIPELINE_ROUNDS ?? 1);
  note(`making ${seconds} s of speech`);
  const audio = await speechFile(dir, seconds, "mp3");
  const body = await readFile(audio.path);
  const rec = ffmpegRecorder();
  const config = loadCloudConfig({
    env: { LOA_HTTP_PORT: "0", LOA_MQTT_PORT: "0", LOA_MQTT_WS_PORT: "off", LOA_HOST: "127.0.0.1", LOA_DATA_DIR: join(dir, "cloud"), LOA_ADMIN_PASSWORD: ADMIN_PASSWORD, LOA_LOG_LEVEL: "debug" },
  });
  const cloud = await startCloud(config, { log: pino({ level: "debug" }, rec.stream), delivery: createDelivery });
  try {
    const api = await adminApi(cloud.httpUrl);
    const upload = (i) => {
      const form = new FormData();
      form.append("title", `pipeline ${i}`);
      form.append("file", new Blob([body], { type: "audio/mpeg" }), "speech.mp3");
      return api.post("/api/v1/bulletins", form);
    };
    // A first upload records the commands (and warms the page cache for both sides alike).
    let first;
    const firstMs = await timed(async () => (first = await upload(0)));
    note(`first upload ${Math.round(firstMs)} ms`);
    const commands = bareCommands(rec.runs.splice(0), audio.path, join(dir, "bare-out.opus"));
    note(`${commands.length} ffmpeg commands per upload; ${rounds} rounds`);
    const api_ms = [];
    const bare_ms = [];
    const bare = () => timed(async () => {
      for (const c of commands) await runBare(c.bin, c.args);
    });
    for (let i = 1; i <= rounds; i++) {
      // Alternate which goes first (bare first in round 1: the warm-up upload just ran).
      if (i % 2 === 1) bare_ms.push(await bare());
      api_ms.push(await timed(() => upload(i)));
      if (i % 2 === 0) bare_ms.push(await bare());
      note(`round ${i}: upload ${Math.round(api_ms.at(-1))} ms, bare ${Math.round(bare_ms.at(-1))} ms`);
    }
    const a = median(api_ms);
    const b = median(bare_ms);
    return [
      result({
        name: "pipeline",
        figures: { input_s: seconds, input_mb: round(body.length / 2 ** 20, 2), upload_to_ready_ms: round(a), ffmpeg_runs: commands.length, output_kb: round(first.bulletin.bytes / 1024, 1), speech: audio.speech ? 1 : 0 },
        baseline: { bare_ffmpeg_ms: round(b) },
        ratio: a / b,
        target: "≤ 1.15× the same ffmpeg commands run bare",
        checks: [check("ratio", a / b, 1.15)],
        notes: `MP3 44.1 kHz stereo upload → Opus mono, two-pass loudnorm; ${rounds === 1 ? "one run each after a warm-up upload" : `median of ${rounds} alternating runs`}`,
      }),
    ];
  } finally {
    await cloud.close();
  }
});
