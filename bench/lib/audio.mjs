/**
 * Test audio for the benchmarks: Vietnamese speech from espeak-ng (the TTS engine the cloud uses,
 * ARCHITECTURE §6), looped with ffmpeg to an exact length, in the format a staff member would upload.
 * Falls back to a chime and tone when espeak-ng is not installed.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { resolveFfmpeg } from "../../cloud/dist/adapters/ffmpeg/resolve.js";
import { toneWav } from "../../firmware-sim/dist/demo/tone-wav.js";

const run = promisify(execFile);

const TEXT =
  "Thông báo của Ủy ban nhân dân xã. Sáng thứ bảy tuần này, trạm y tế xã tổ chức tiêm chủng mở rộng cho trẻ em " +
  "dưới năm tuổi. Đề nghị các gia đình đưa trẻ đến đúng giờ. Dự báo trong hai ngày tới có mưa to. Bà con không đi " +
  "qua ngầm tràn, không vào rừng, chằng chống nhà cửa và theo dõi thông tin trên loa truyền thanh.";

export async function ffmpegPaths() {
  return resolveFfmpeg(process.env);
}

/** One paragraph of speech as WAV (espeak-ng), or a tone when espeak-ng is missing. */
async function paragraph(dir) {
  const out = join(dir, "paragraph.wav");
  try {
    await run("espeak-ng", ["-v", "vi", "-w", out, TEXT]);
    return { path: out, speech: true };
  } catch {
    await writeFile(out, toneWav({ seconds: 10, freqHz: 440 }));
    return { path: out, speech: false };
  }
}

/** Encoding 5 minutes of MP3 takes ~10 s on a small machine: long files are kept here between runs. */
const CACHE = join(tmpdir(), "loa-bench-cache");

/**
 * Speech of exactly `seconds`, as `format` ("mp3": 44.1 kHz stereo 128 kb/s as phones and PCs save it;
 * "wav": 16-bit mono 22.05 kHz; "opus": Opus in Ogg at a constant 32 kb/s, as the cloud stores bulletins,
 * so a size in bytes can be aimed at by the duration: 260 s ≈ 1 MiB).
 */
export async function speechFile(dir, seconds, format = "mp3") {
  const name = `speech-${seconds}s.${format === "opus" ? "ogg" : format}`;
  const out = join(dir, name);
  const key = createHash("sha256").update(`${TEXT}|${seconds}|${format}`).digest("hex").slice(0, 16);
  const cached = join(CACHE, `${key}-${name}`);
  if (await exists(cached)) {
    await copyFile(cached, out);
    return { path: out, speech: true, seconds };
  }
  const made = await makeSpeech(dir, seconds, format, out);
  if (made.speech && seconds >= 60) {
    await mkdir(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    await copyFile(out, tmp);
    await rename(tmp, cached);
  }
  return made;
}

async function exists(path) {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

async function makeSpeech(dir, seconds, format, out) {
  const { ffmpegPath } = await ffmpegPaths();
  const src = await paragraph(dir);
  const codec = {
    mp3: ["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"],
    wav: ["-ar", "22050", "-ac", "1", "-c:a", "pcm_s16le"],
    opus: ["-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-vbr", "off", "-application", "voip", "-f", "ogg"],
  }[format];
  await run(ffmpegPath, ["-nostdin", "-v", "error", "-stream_loop", "-1", "-i", src.path, "-t", String(seconds), ...codec, "-y", out]);
  return { path: out, speech: src.speech, seconds };
}
