import { createRequire } from "node:module";

/**
 * Which ffmpeg to run (ARCHITECTURE §6): `FFMPEG_PATH` wins; then the binary shipped by the
 * `@ffmpeg-installer/ffmpeg` npm package (works on closed networks); then `ffmpeg` on PATH.
 */
export function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FFMPEG_PATH?.trim();
  if (fromEnv) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require("@ffmpeg-installer/ffmpeg") as { path?: unknown };
    if (typeof pkg.path === "string" && pkg.path) return pkg.path;
  } catch {
    // The package throws when it has no binary for this platform: fall back to the system ffmpeg.
  }
  return "ffmpeg";
}
