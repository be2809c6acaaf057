/**
 * Shared set-up of the bulletin route tests: real inputs made with ffmpeg and espeak-ng, a real media
 * pipeline over temp dirs, the HTTP harness with the bulletin routes, and multipart clients (fetch with
 * FormData, and a raw node:http one that streams a body slowly to see when the server gives up).
 */
import { request as httpRequest } from "node:http";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { FfmpegTranscoder } from "../adapters/ffmpeg/ffmpeg-transcoder.js";
import { MediaPipeline, type MediaPipelineDeps } from "../media/pipeline.js";
import type { MediaOptions } from "../media/options.js";
import type { TtsEngine } from "../media/ports.js";
import { binaries, convert, ls, silenceWav, speechWav } from "../media/testdata/inputs.fixture.js";
import { loginOnce, replyOf, startHarness, type Harness, type Reply } from "./harness.fixture.js";
import { bulletinRoutes } from "./routes/bulletins.js";

export { ls };

export const SHORT_SPEECH_VI = "Xin chào bà con, ngày mai thôn họp lúc tám giờ sáng tại nhà văn hóa.";

export interface Inputs {
  dir: string;
  wav: string;
  mp3: string;
  ogg: string;
  /** A text file named .mp3. */
  fakeMp3: string;
  /** The mp3 cut mid-frame at about half its length. */
  truncatedMp3: string;
  silence30s: string;
}

/** Makes every input once per test file (about a second). */
export async function makeInputs(): Promise<Inputs> {
  const dir = await mkdtemp(join(tmpdir(), "loa-bulletin-inputs-"));
  // About 4 s of speech: long enough for two-pass loudnorm (3 s window), short enough to keep the suite fast.
  const wav = await speechWav(dir, SHORT_SPEECH_VI);
  const mp3 = await convert(wav, dir, "speech.mp3", "-c:a", "libmp3lame", "-b:a", "64k");
  const ogg = await convert(wav, dir, "speech.ogg", "-c:a", "libvorbis", "-q:a", "4");
  const fakeMp3 = join(dir, "bien-ban.mp3");
  await writeFile(fakeMp3, "Biên bản họp thôn ngày 12 tháng 3.\n".repeat(50));
  const truncatedMp3 = join(dir, "truncated.mp3");
  await copyFile(mp3, truncatedMp3);
  await truncate(truncatedMp3, Math.floor((await stat(mp3)).size / 2) + 7);
  const silence30s = await silenceWav(dir, 30);
  return { dir, wav, mp3, ogg, fakeMp3, truncatedMp3, silence30s };
}

export interface BulletinHarness extends Harness {
  mediaDir: string;
  /** Where uploads and the pipeline's jobs are spooled; empty again after every request. */
  spoolDir: string;
  pipeline: MediaPipeline;
  /** Log in once per user and reuse the cookie. */
  cookie(username: string): Promise<string>;
}

export async function startBulletinHarness(opts: { media?: Partial<MediaOptions>; tts?: TtsEngine } = {}): Promise<BulletinHarness> {
  const root = await mkdtemp(join(tmpdir(), "loa-bulletins-"));
  const mediaDir = join(root, "media");
  const spoolDir = join(root, "spool");
  await mkdir(spoolDir);
  const bins = await binaries();
  const deps: MediaPipelineDeps = {
    transcoder: new FfmpegTranscoder({ ffmpegPath: bins.ffmpegPath, ffprobePath: bins.ffprobePath }),
    mediaDir,
    tmpDir: spoolDir,
    ...(opts.tts ? { tts: opts.tts } : {}),
    ...(opts.media ? { options: opts.media } : {}),
  };
  const pipeline = new MediaPipeline(deps);
  const h = await startHarness({ routes: [bulletinRoutes({ pipeline, mediaDir, tmpDir: spoolDir })] });
  return {
    ...h,
    mediaDir,
    spoolDir,
    pipeline,
    cookie: loginOnce(h.login),
    close: async () => {
      await h.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export type Part = { name: string; value: string } | { name: string; path: string; filename?: string; type?: string };

/** POST a multipart form with fetch (FormData sets the boundary and Content-Length). */
export async function postForm(url: string, cookie: string | undefined, parts: Part[]): Promise<Reply> {
  const form = new FormData();
  for (const p of parts) {
    if ("value" in p) form.append(p.name, p.value);
    else form.append(p.name, new Blob([await readFile(p.path)], { type: p.type ?? "application/octet-stream" }), p.filename ?? basename(p.path));
  }
  return replyOf(await fetch(`${url}/api/v1/bulletins`, { method: "POST", body: form, headers: cookie ? { cookie } : {} }));
}

export interface StreamedReply {
  status: number;
  json: unknown;
  /** Body bytes written before the reply arrived. */
  sent: number;
}

/**
 * Streams a multipart upload of `totalBytes` of file data in chunks, chunked transfer (no Content-Length),
 * pausing between chunks, and stops writing as soon as the reply arrives.
 */
export function streamUpload(url: string, cookie: string, totalBytes: number, chunkBytes = 16 * 1024): Promise<StreamedReply> {
  const boundary = "loaTestBoundary7MA4YWxkTrZu0gW";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nDài quá\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let replied = false;
    const req = httpRequest(`${url}/api/v1/bulletins`, {
      method: "POST",
      headers: { cookie, "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    req.on("response", (res) => {
      replied = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown, sent });
      });
      res.on("error", reject);
    });
    // Writing after the server closed its side may fail (EPIPE); only the reply matters.
    req.on("error", (err) => {
      if (!replied) reject(err);
    });
    req.write(head);
    const chunk = Buffer.alloc(chunkBytes, 0x55);
    const pump = (): void => {
      if (replied || req.destroyed) return;
      if (sent >= totalBytes) {
        req.end(`\r\n--${boundary}--\r\n`);
        return;
      }
      sent += chunk.length;
      req.write(chunk);
      setTimeout(pump, 2);
    };
    pump();
  });
}
