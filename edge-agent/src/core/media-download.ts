/** Pure helpers of MediaCache: per-download chunk bookkeeping and validation (ARCHITECTURE §3 media). */
import type { TimerHandle } from "@loa/shared";
import { LoaError } from "@loa/shared";
import type { RandomAccessFile } from "../ports/fs.js";

// TODO(protocol): swap for MediaRef (+ chunkCount) from @loa/shared (shared/src/protocol/common.ts).
/** What the cache needs of a plan item's `media`. */
export interface MediaSpec {
  sha256: string;
  bytes: number;
  chunkSize: number;
  /** Picks the file extension (opus, mp3); anything else is stored as .bin. */
  codec?: string;
}

export class MediaCacheError extends LoaError {}

const SHA_RE = /^[0-9a-f]{64}$/;
const MAX_CHUNKS = 1_000_000;

export interface Download {
  spec: MediaSpec;
  count: number;
  have: Uint8Array;
  haveCount: number;
  unsynced: number[];
  file: RandomAccessFile | null;
  timer: TimerHandle | null;
  lastUsed: number;
}

export function newDownload(spec: MediaSpec, lastUsed: number): Download {
  const count = Math.ceil(spec.bytes / spec.chunkSize);
  return { spec, count, have: new Uint8Array(count), haveCount: 0, unsynced: [], file: null, timer: null, lastUsed };
}

export function mark(d: Download, index: number): void {
  if (d.have[index] === 1) return;
  d.have[index] = 1;
  d.haveCount++;
}

export function missingOf(d: Download): number[] {
  const out: number[] = [];
  for (let i = 0; i < d.count; i++) if (d.have[i] !== 1) out.push(i);
  return out;
}

export function logText(spec: MediaSpec, d: Download): string {
  const have: number[] = [];
  for (let i = 0; i < d.count; i++) if (d.have[i] === 1) have.push(i);
  const head = JSON.stringify({ sha256: spec.sha256, bytes: spec.bytes, chunkSize: spec.chunkSize, codec: spec.codec });
  return head + "\n" + (have.length > 0 ? JSON.stringify({ c: have }) + "\n" : "");
}

/** Every chunk is `chunkSize` bytes except the last, which holds the rest. */
export function checkChunk(d: Download, index: number, data: Uint8Array): void {
  if (!Number.isInteger(index) || index < 0 || index >= d.count) {
    throw new MediaCacheError("media_chunk_invalid", `chunk index ${index} outside 0..${d.count - 1}`, { sha256: d.spec.sha256 });
  }
  const expected = index < d.count - 1 ? d.spec.chunkSize : d.spec.bytes - index * d.spec.chunkSize;
  if (data.length !== expected) {
    throw new MediaCacheError("media_chunk_invalid", `chunk ${index} is ${data.length} bytes, expected ${expected}`, {
      sha256: d.spec.sha256,
      index,
    });
  }
}

export function isSpec(v: unknown): v is MediaSpec {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.sha256 === "string" &&
    SHA_RE.test(s.sha256) &&
    Number.isSafeInteger(s.bytes) &&
    (s.bytes as number) >= 0 &&
    Number.isSafeInteger(s.chunkSize) &&
    (s.chunkSize as number) > 0 &&
    Math.ceil((s.bytes as number) / (s.chunkSize as number)) <= MAX_CHUNKS &&
    (s.codec === undefined || typeof s.codec === "string")
  );
}

export function assertSpec(spec: MediaSpec): void {
  if (!isSpec(spec)) {
    throw new MediaCacheError("media_spec_invalid", "media needs a sha256 (64 hex), bytes >= 0 and chunkSize > 0", {
      sha256: String((spec as { sha256?: unknown }).sha256),
    });
  }
}

export function extOf(codec: string | undefined): string {
  return codec === "opus" || codec === "mp3" ? codec : "bin";
}
