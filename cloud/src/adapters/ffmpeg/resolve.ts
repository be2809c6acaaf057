/**
 * Where the ffmpeg and ffprobe binaries come from (ARCHITECTURE §6), first match wins:
 * 1. `FFMPEG_PATH` / `FFPROBE_PATH` (an ffprobe next to FFMPEG_PATH is used when only that is set);
 * 2. `ffmpeg-static`, if someone installed it (optional: it downloads at install time, which fails on
 *    closed networks, so it is never a dependency);
 * 3. `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`, which ship the binaries (the default);
 * 4. `ffmpeg` / `ffprobe` on PATH.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { mediaError } from "../../media/errors.js";

export type FfmpegSource = "env" | "ffmpeg-static" | "@ffmpeg-installer" | "@ffprobe-installer" | "system";

export interface FfmpegBinaries {
  ffmpegPath: string;
  ffprobePath: string;
  /** Where ffmpeg came from. */
  source: FfmpegSource;
  ffprobeSource: FfmpegSource;
}

export interface ResolveDeps {
  /** Loads an optional package; default a dynamic import. Rejects when the package is absent. */
  load?: (name: string) => Promise<unknown>;
}

type Found = { path: string; source: FfmpegSource } | null;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The binary path a package exports: ffmpeg-static exports a string, the installers `{path}`. */
function pathFromModule(mod: unknown): string | null {
  const candidates = [mod, (mod as { default?: unknown } | null)?.default];
  for (const c of candidates) {
    if (typeof c === "string") return c;
    const p = (c as { path?: unknown } | null | undefined)?.path;
    if (typeof p === "string") return p;
  }
  return null;
}

async function fromPackage(name: string, source: FfmpegSource, load: (n: string) => Promise<unknown>): Promise<Found> {
  try {
    const path = pathFromModule(await load(name));
    return path && (await isExecutable(path)) ? { path, source } : null;
  } catch {
    return null; // not installed, or its binary is missing: try the next source
  }
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<Found> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    if (await isExecutable(path)) return { path, source: "system" };
  }
  return null;
}

async function fromEnv(name: string, value: string | undefined): Promise<Found> {
  if (!value) return null;
  // A path set on purpose that does not work is a configuration error, not a reason to fall back.
  if (!(await isExecutable(value))) {
    throw mediaError("ffmpeg_failed", {}, { reason: `${name}=${value} is not an executable file` });
  }
  return { path: value, source: "env" };
}

async function firstFound(steps: Array<() => Promise<Found>>): Promise<Found> {
  for (const step of steps) {
    const found = await step();
    if (found) return found;
  }
  return null;
}

export async function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env, deps: ResolveDeps = {}): Promise<FfmpegBinaries> {
  const load = deps.load ?? ((name: string): Promise<unknown> => import(name) as Promise<unknown>);
  const ffmpeg = await firstFound([
    () => fromEnv("FFMPEG_PATH", env.FFMPEG_PATH),
    () => fromPackage("ffmpeg-static", "ffmpeg-static", load),
    () => fromPackage("@ffmpeg-installer/ffmpeg", "@ffmpeg-installer", load),
    () => onPath("ffmpeg", env),
  ]);
  const sibling = env.FFMPEG_PATH ? join(dirname(env.FFMPEG_PATH), "ffprobe") : undefined;
  const ffprobe = await firstFound([
    () => fromEnv("FFPROBE_PATH", env.FFPROBE_PATH),
    async () => (sibling && (await isExecutable(sibling)) ? { path: sibling, source: "env" } : null),
    () => fromPackage("@ffprobe-installer/ffprobe", "@ffprobe-installer", load),
    () => onPath("ffprobe", env),
  ]);
  if (!ffmpeg || !ffprobe) {
    const missing = !ffmpeg ? "ffmpeg" : "ffprobe";
    throw mediaError("ffmpeg_failed", {}, {
      reason: `${missing} not found: set ${missing.toUpperCase()}_PATH, install @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe, or put ${missing} on PATH`,
    });
  }
  return { ffmpegPath: ffmpeg.path, ffprobePath: ffprobe.path, source: ffmpeg.source, ffprobeSource: ffprobe.source };
}
