/**
 * Serving a bulletin's audio (ARCHITECTURE §7 `GET /api/v1/bulletins/:id/audio`): the panel's player seeks,
 * so single byte ranges are honoured (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n` → 206; a range
 * outside the file → 416 with `Content-Range: bytes * /size`. Several ranges at once are answered with the
 * whole file (200), which the RFC allows. The ETag is the content's sha256, so it never changes.
 */
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import type { Bulletin } from "@loa/shared";
import { problem, sendProblem } from "../problem.js";
import type { MediaFile } from "./bulletin-media.js";

export type ByteRange =
  | { kind: "whole" }
  | { kind: "part"; start: number; end: number }
  | { kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/** The one range a `Range` header asks for within `size` bytes (`end` inclusive). */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: "whole" };
  const m = SINGLE.exec(header.replace(/\s+/g, ""));
  // Another unit, several ranges or plain garbage: ignored, the whole file is sent (RFC 9110 §14.2).
  if (!m) return { kind: "whole" };
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return { kind: "whole" };
  if (a === "") {
    const n = Number(b);
    if (n === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || start > end) return { kind: "unsatisfiable" };
  return { kind: "part", start, end };
}

function etagOf(sha256: string): string {
  return `"${sha256}"`;
}

/** If-None-Match lists (or `*`) matching our ETag (weak comparison, RFC 9110 §13.1.2). */
function notModified(req: Request, etag: string): boolean {
  const header = req.headers["if-none-match"];
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}

/** If-Range with another ETag (or a date, which we do not track) means: send the whole file. */
function rangeApplies(req: Request, etag: string): boolean {
  const ifRange = req.get("if-range");
  return ifRange === undefined || ifRange.trim() === etag;
}

/**
 * Writes the reply for `file` (headers, then the bytes unless HEAD). Resolves when the bytes are sent or
 * the client went away; a client closing mid-file is normal for a player and is not an error.
 */
export async function sendAudio(req: Request, res: Response, bulletin: Bulletin, file: MediaFile): Promise<void> {
  const etag = etagOf(bulletin.sha256);
  res.setHeader("ETag", etag);
  // The bytes behind a bulletin never change; `private` because reading them needs a login.
  res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Last-Modified", new Date(file.mtimeMs).toUTCString());
  if (notModified(req, etag)) {
    res.status(304).end();
    return;
  }
  const range = rangeApplies(req, etag) ? parseRange(req.headers.range, file.bytes) : { kind: "whole" as const };
  if (range.kind === "unsatisfiable") {
    const detail = `the range ${req.headers.range ?? ""} lies outside the ${file.bytes} bytes of bulletin ${bulletin.id}`;
    sendProblem(res, problem("range_not_satisfiable", detail), { "Content-Range": `bytes */${file.bytes}` });
    return;
  }
  const { start, end } = range.kind === "part" ? range : { start: 0, end: file.bytes - 1 };
  res.status(range.kind === "part" ? 206 : 200);
  if (range.kind === "part") res.setHeader("Content-Range", `bytes ${start}-${end}/${file.bytes}`);
  res.setHeader("Content-Type", file.mimeType);
  res.setHeader("Content-Length", String(end - start + 1));
  res.setHeader("Content-Disposition", `inline; filename="${bulletin.id}.${file.codec === "opus" ? "opus" : "mp3"}"`);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await pipeline(createReadStream(file.path, { start, end }), res).catch((err: unknown) => {
    if (!res.writableFinished && !res.destroyed) res.destroy(err instanceof Error ? err : undefined);
  });
}
