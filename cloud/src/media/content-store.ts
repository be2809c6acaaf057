/**
 * Content-addressed media files (ARCHITECTURE §2, §6): `media/<sha256>.<ext>`, each content stored once,
 * published atomically (the herdsman way: write a temp file, fsync, rename, fsync the directory), so a
 * crash leaves either the whole file or none. Staging files start with STAGING_PREFIX in the media dir
 * itself, so the rename never crosses file systems.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

export const STAGING_PREFIX = ".tmp-";

export function stagingPath(mediaDir: string, ext: string): string {
  return join(mediaDir, `${STAGING_PREFIX}${randomUUID()}.${ext}`);
}

export function mediaFileName(sha256: string, ext: string): string {
  return `${sha256}.${ext}`;
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest("hex"), bytes };
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export interface Published {
  path: string;
  duplicate: boolean;
}

/**
 * Moves a finished staging file to its content address. When the same content is already there the
 * staging file is dropped and nothing is rewritten; a file of the wrong size at that name (a torn copy
 * from outside) is replaced.
 */
export async function publishContent(
  staging: string,
  mediaDir: string,
  content: { sha256: string; bytes: number; ext: string },
): Promise<Published> {
  const path = join(mediaDir, mediaFileName(content.sha256, content.ext));
  if ((await sizeOf(path)) === content.bytes) {
    await rm(staging, { force: true });
    return { path, duplicate: true };
  }
  await fsyncPath(staging);
  await rename(staging, path);
  await fsyncPath(mediaDir);
  return { path, duplicate: false };
}

/** Removes staging files a crash left behind; call once at start-up before any ingest runs. */
export async function sweepStaging(mediaDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(mediaDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  const stale = names.filter((n) => n.startsWith(STAGING_PREFIX));
  await Promise.all(stale.map((n) => rm(join(mediaDir, n), { force: true })));
  return stale.length;
}
