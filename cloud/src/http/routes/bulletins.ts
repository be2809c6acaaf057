/**
 * Bulletins, the audio assets (ARCHITECTURE §2 Bulletin, §6 audio, §7 `/api/v1/bulletins`): upload
 * (multipart) or TTS through the media pipeline, list, read, delete, and the audio itself with Range.
 * Staff and admins create and delete; every role reads, inside its subtree.
 *
 * The same content is stored once (`media/<sha256>.<ext>`). Uploading it again makes a new record pointing
 * at the same file, except when the area already has a bulletin with that content and that exact title:
 * then the existing one is answered with 200 (a retried or double-clicked upload does not make twins).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BulletinCreated,
  BulletinList,
  BulletinListQuery,
  BulletinTtsBody,
  BulletinView,
  LoaError,
  newId,
  type Bulletin,
  type User,
} from "@loa/shared";
import { mediaError } from "../../media/errors.js";
import { mimeTypeOf } from "../../media/options.js";
import type { MediaPipeline, MediaResult } from "../../media/pipeline.js";
import type { ApiRouter, Call, Reply, RouteContext } from "../api-router.js";
import type { RouteModule } from "../app.js";
import { ProblemError } from "../api-router.js";
import { problem } from "../problem.js";
import { sendAudio } from "./bulletin-audio.js";
import { findMediaFile, MediaRefs } from "./bulletin-media.js";
import { checkUploadFields, formError, FORM_OVERHEAD_BYTES, lingerThenClose, receiveUpload, requireMultipart } from "./bulletin-upload.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";

const TAG = "bulletins";

/**
 * What main.ts should set as the HTTP server's `requestTimeout` (node's default, 5 min for the whole
 * request, cuts a large upload over a slow village link). Node has no per-route setting for it.
 */
export const UPLOAD_REQUEST_TIMEOUT_MS = 60 * 60_000;

export interface BulletinRoutesDeps {
  pipeline: MediaPipeline;
  /** The pipeline's media dir (`$LOA_DATA_DIR/media`), where `<sha256>.<ext>` files are served from. */
  mediaDir: string;
  /** Where uploads are spooled while they arrive (a job dir each, removed after); default the system temp dir. */
  tmpDir?: string;
}

interface Env extends BulletinRoutesDeps {
  ctx: RouteContext;
  refs: MediaRefs;
}

type AnyCall = Call<unknown, unknown>;

/** The route module for `createHttpApp({routes: [bulletinRoutes({pipeline, mediaDir})]})`. */
export function bulletinRoutes(deps: BulletinRoutesDeps): RouteModule {
  return (api, ctx) => {
    const env: Env = { ...deps, ctx, refs: new MediaRefs({ catalog: ctx.catalog, mediaDir: deps.mediaDir, log: ctx.log }) };
    registerReads(api, env);
    registerUpload(api, env);
    registerTts(api, env);
    registerDelete(api, env);
    registerAudio(api, env);
  };
}

function viewOf(b: Bulletin, users: ReadonlyMap<string, User>): BulletinView {
  return {
    ...b,
    createdByUsername: users.get(b.createdBy)?.username ?? null,
    mimeType: mimeTypeOf(b.codec),
    audioUrl: `/api/v1/bulletins/${b.id}/audio`,
  };
}

function usersOf(ctx: RouteContext): Map<string, User> {
  return new Map(ctx.catalog.data().users.map((u) => [u.id, u]));
}

/** The bulletin after the read gate: 404 when unknown or outside the caller's subtree. */
function visibleBulletin(call: AnyCall, ctx: RouteContext, id: string): Bulletin {
  return call.visible(ctx.catalog.data().bulletins, id, "bulletins.read", "bulletin");
}

/** The area a new bulletin belongs to: the caller's own by default; must exist and lie in the subtree. */
function targetArea(call: AnyCall, areaId: string | undefined): string {
  const id = areaId ?? call.actor.user.areaId;
  if (!call.areas().get(id)) {
    throw formError(`area ${id} does not exist`, `Khu vực ${id} không tồn tại.`, { code: "invalid_request" });
  }
  call.authorize("bulletins.write", id, `area ${id}`);
  return id;
}

function registerReads(api: ApiRouter, { ctx }: Env): void {
  api.add({
    method: "get",
    path: "/api/v1/bulletins",
    summary: "Bulletins of the caller's subtree, newest first; filters: areaId (subtree), source",
    tag: TAG,
    query: BulletinListQuery,
    responses: { 200: { description: "bulletins", schema: BulletinList }, ...AUTH_ERRORS, 404: PROBLEM("areaId unknown or outside your area"), 422: PROBLEM("invalid filter") },
    handler: (call) => {
      call.requirePermission("bulletins.read");
      const { areaId, source } = call.query;
      const within = call.listScope("bulletins.read", areaId);
      const users = usersOf(ctx);
      const items = ctx.catalog
        .data()
        .bulletins.map((b, order) => ({ b, order }))
        .filter(({ b }) => within.has(b.areaId) && (source === undefined || b.source === source))
        // Newest first; records made in the same millisecond keep their reverse insertion order.
        .sort((x, y) => y.b.createdAt.localeCompare(x.b.createdAt) || y.order - x.order)
        .map(({ b }) => viewOf(b, users));
      return { status: 200, body: { items } };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/bulletins/:id",
    summary: "One bulletin",
    tag: TAG,
    responses: { 200: { description: "the bulletin", schema: BulletinCreated }, ...AUTH_ERRORS, 404: PROBLEM("unknown or outside your area") },
    handler: (call) => ({ status: 200, body: { bulletin: viewOf(visibleBulletin(call, ctx, call.param("id")), usersOf(ctx)) } }),
  });
}

interface NewBulletin {
  title: string;
  areaId: string;
  source: Bulletin["source"];
  text?: string;
}

/**
 * Runs the ingest, then records the bulletin (or finds its twin, see the header). The media file is held
 * from the moment it exists until the record is durable, so a concurrent delete cannot take it away; if
 * recording fails, a file this call created and nobody else uses is removed again.
 */
async function recordBulletin(env: Env, call: AnyCall, input: NewBulletin, ingest: () => Promise<MediaResult>, extra: Record<string, unknown> = {}): Promise<Reply> {
  const { result, release } = await env.refs.ingestHeld(ingest);
  const record: Bulletin = {
    id: newId("bul"),
    title: input.title,
    sha256: result.sha256,
    bytes: result.bytes,
    durationMs: result.durationMs,
    codec: result.codec,
    loudnessLufs: result.loudnessLufs,
    source: input.source,
    areaId: input.areaId,
    createdBy: call.actor.user.id,
    createdAt: call.nowIso(),
    ...(input.text !== undefined ? { text: input.text } : {}),
  };
  let outcome: { twin?: Bulletin };
  try {
    outcome = await env.ctx.catalog.update((draft) => {
      const twin = draft.bulletins.find((b) => b.sha256 === record.sha256 && b.areaId === record.areaId && b.title === record.title);
      if (twin) return { twin: { ...twin } };
      draft.bulletins.push(record);
      return {};
    });
  } catch (err) {
    release();
    if (!result.duplicate) await env.refs.dropIfUnused(result.sha256, result.codec);
    throw err;
  }
  release();
  const users = usersOf(env.ctx);
  if (outcome.twin) return { status: 200, body: { bulletin: viewOf(outcome.twin, users) } };
  const { id, title, areaId, source, sha256, bytes, durationMs, codec, loudnessLufs } = record;
  await call.audit("bulletin.create", { type: "bulletin", id }, { title, areaId, source, sha256, bytes, durationMs, codec, loudnessLufs, mediaReused: result.duplicate, ...extra });
  return { status: 201, body: { bulletin: viewOf(record, users) }, headers: { Location: `/api/v1/bulletins/${id}` } };
}

async function withJobDir<T>(parent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(parent, "loa-upload-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const MEDIA_ERRORS = {
  413: PROBLEM("too_big: the file is over the size limit (refused while it streams)"),
  415: PROBLEM("not_audio: the file is not a supported audio file"),
  422: PROBLEM("wrong_field (form), invalid_request (area), corrupt, silent, too_long"),
} as const;

function registerUpload(api: ApiRouter, env: Env): void {
  const { pipeline } = env;
  api.add({
    method: "post",
    path: "/api/v1/bulletins",
    summary: "Upload an audio file (any common format): it is checked, loudness-normalised to Opus or MP3 and stored once",
    tag: TAG,
    rawBody: {
      contentType: "multipart/form-data",
      description: "fields: title (1-200 chars), file (exactly one audio file), codec? (opus|mp3), areaId? (default your area). " +
        "Errors carry `detail` (English) and `detailVi` (Vietnamese).",
    },
    responses: {
      201: { description: "stored", schema: BulletinCreated },
      200: { description: "the area already has this content under this title: that bulletin", schema: BulletinCreated },
      400: PROBLEM("bad_multipart: the body could not be read"),
      ...AUTH_ERRORS,
      ...MEDIA_ERRORS,
      500: PROBLEM("ffmpeg_failed"),
    },
    handler: async (call) => {
      try {
        call.requirePermission("bulletins.write");
        requireMultipart(call.req);
        const declared = Number(call.req.headers["content-length"]);
        if (declared > pipeline.options.maxBytes + FORM_OVERHEAD_BYTES) throw mediaError("too_big", { maxBytes: pipeline.options.maxBytes });
        return await withJobDir(env.tmpDir ?? tmpdir(), async (dir) => {
          const upload = await receiveUpload(call.req, dir, pipeline.options.maxBytes);
          const fields = checkUploadFields(upload.fields);
          const areaId = targetArea(call, fields.areaId);
          const ingest = () => pipeline.ingestFile(upload.path, fields.codec ? { codec: fields.codec } : {});
          return recordBulletin(env, call, { title: fields.title, areaId, source: "upload" }, ingest, {
            ...(upload.filename ? { filename: upload.filename } : {}),
            uploadBytes: upload.bytes,
          });
        });
      } catch (err) {
        if (!call.req.complete) {
          // The reply goes out now; the rest of the body is dropped (bounded), never stored.
          lingerThenClose(call.req);
        }
        throw err;
      }
    },
  });
}

function registerTts(api: ApiRouter, env: Env): void {
  const { pipeline } = env;
  api.add({
    method: "post",
    path: "/api/v1/bulletins/tts",
    summary: "Make a bulletin from text with the TTS engine (espeak-ng, Vietnamese by default); the text is kept",
    tag: TAG,
    body: BulletinTtsBody,
    responses: {
      201: { description: "stored", schema: BulletinCreated },
      200: { description: "the area already has this speech under this title: that bulletin", schema: BulletinCreated },
      ...AUTH_ERRORS,
      422: PROBLEM("invalid body, text_empty, text_too_long, unknown area"),
      500: PROBLEM("ffmpeg_failed"),
      503: PROBLEM("tts_unavailable: no TTS engine on this server, or it failed"),
    },
    handler: async (call) => {
      call.requirePermission("bulletins.write");
      const { title, voice, codec } = call.body;
      const areaId = targetArea(call, call.body.areaId);
      const text = pipeline.checkText(call.body.text);
      const ingest = () => pipeline.synthesizeBulletin(text, { ...(voice ? { voice } : {}), ...(codec ? { codec } : {}) });
      return recordBulletin(env, call, { title, areaId, source: "tts", text }, ingest, voice ? { voice } : {});
    },
  });
}

function conflictOf(id: string, broadcastIds: string[]): ProblemError {
  const list = broadcastIds.join(", ");
  return new ProblemError(
    problem("conflict", `bulletin ${id} is used by ${broadcastIds.length} active or paused broadcast(s): ${list}; cancel them first`, {
      detailVi: `Bản tin đang được dùng trong ${broadcastIds.length} lịch phát đang chạy hoặc tạm dừng (${list}); hãy hủy lịch phát trước.`,
    }),
  );
}

function registerDelete(api: ApiRouter, env: Env): void {
  const { ctx, refs } = env;
  api.add({
    method: "delete",
    path: "/api/v1/bulletins/:id",
    summary: "Delete a bulletin; its file goes too unless another bulletin shares the content",
    tag: TAG,
    responses: { 204: { description: "deleted" }, ...AUTH_ERRORS, 404: PROBLEM("unknown bulletin"), 409: PROBLEM("an active or paused broadcast uses it") },
    handler: async (call) => {
      const id = call.param("id");
      // a write outside the subtree is 403, like every write (docs/api.md "Scope")
      const bulletin = call.visible(ctx.catalog.data().bulletins, id, "bulletins.write", "bulletin");
      await ctx.catalog.update((draft) => {
        const users = draft.broadcasts.filter((b) => b.bulletinId === id && (b.status === "active" || b.status === "paused"));
        if (users.length > 0) throw conflictOf(id, users.map((b) => b.id));
        draft.bulletins = draft.bulletins.filter((b) => b.id !== id);
      });
      const mediaDeleted = await refs.dropIfUnused(bulletin.sha256, bulletin.codec);
      await call.audit("bulletin.delete", { type: "bulletin", id }, { title: bulletin.title, areaId: bulletin.areaId, sha256: bulletin.sha256, mediaDeleted });
      return { status: 204 };
    },
  });
}

function registerAudio(api: ApiRouter, env: Env): void {
  const { ctx } = env;
  api.add({
    method: "get",
    path: "/api/v1/bulletins/:id/audio",
    summary: "The bulletin's audio (audio/ogg for Opus, audio/mpeg for MP3); Range requests, ETag = sha256",
    tag: TAG,
    responses: {
      200: { description: "the whole file", contentType: "audio/*" },
      206: { description: "the requested byte range (Content-Range)", contentType: "audio/*" },
      304: { description: "not modified (If-None-Match)" },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown or outside your area"),
      416: PROBLEM("range_not_satisfiable (Content-Range: bytes */size)"),
      500: PROBLEM("media_missing: the record's file is not in the media store"),
    },
    handler: async (call) => {
      const bulletin = visibleBulletin(call, ctx, call.param("id"));
      const file = await findMediaFile(env.mediaDir, bulletin.sha256, bulletin.codec);
      if (!file) throw new LoaError("media_missing", `the audio file of bulletin ${bulletin.id} is missing from the media store`);
      await sendAudio(call.req, call.res, bulletin, file);
      return undefined;
    },
  });
}

export { findMediaFile, mediaPathOf, type MediaFile } from "./bulletin-media.js";
export { parseRange } from "./bulletin-audio.js";
