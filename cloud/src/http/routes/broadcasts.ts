/**
 * Broadcasts, what staff schedule (ARCHITECTURE §2 Broadcast, §7 `/api/v1/broadcasts`): list with status,
 * next occurrence and play counts; create (checked by cloud/src/delivery/broadcast-rules.ts, conflicts
 * reported not refused); one broadcast with its per-device play summary; pause, resume, cancel and staff's
 * order. Every change republishes the affected receivers' plans before the reply (delivery.replan).
 * Staff and admins write; operators read only; everyone inside their subtree.
 */
import {
  BroadcastCreateBody,
  BroadcastCreated,
  BroadcastDetail,
  BroadcastList,
  BroadcastListQuery,
  BroadcastPatchBody,
  errorMessage,
  type Broadcast,
  type ProblemDetails,
} from "@loa/shared";
import { NotFoundError } from "../../core/errors.js";
import type { DeliveryApi } from "../../delivery/api.js";
import { BroadcastRuleError, checkNewBroadcast } from "../../delivery/broadcast-rules.js";
import { conflictsOf, viewOf } from "../../delivery/broadcast-views.js";
import { viewOf as playViewOf } from "../../delivery/play-index.js";
import { QuietHoursError } from "../../scheduling/index.js";
import { ProblemError, type ApiRouter, type Call, type RouteContext } from "../api-router.js";
import type { RouteModule } from "../app.js";
import { problem } from "../problem.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";

const TAG = "broadcasts";
const DETAIL_PLAYS = 1000;

type AnyCall = Call<unknown, unknown>;

/** The route module for `createHttpApp({routes: [broadcastRoutes(delivery.api)]})`. */
export function broadcastRoutes(d: DeliveryApi): RouteModule {
  return (api, ctx) => {
    registerList(api, ctx, d);
    registerCreate(api, ctx, d);
    registerGet(api, ctx, d);
    registerPatch(api, ctx, d);
  };
}

/** The broadcast after the read gate: 404 when unknown or outside the caller's subtree. */
function visible(call: AnyCall, ctx: RouteContext, id: string): Broadcast {
  return call.visible(ctx.catalog.data().broadcasts, id, "broadcasts.read", "broadcast");
}

function detailOf(call: AnyCall, ctx: RouteContext, d: DeliveryApi, b: Broadcast): BroadcastDetail {
  const data = ctx.catalog.data();
  const now = ctx.clock.now();
  const records = d.book.index.ofBroadcast(b.id).sort((x, y) => y.atMs - x.atMs || (x.deviceId < y.deviceId ? -1 : 1));
  return {
    broadcast: viewOf(b, data, call.areas(), d.book.index, now),
    conflicts: conflictsOf(b, data, call.areas(), now),
    plays: records.slice(0, DETAIL_PLAYS).map(playViewOf),
    playsTotal: records.length,
  };
}

function registerList(api: ApiRouter, ctx: RouteContext, d: DeliveryApi): void {
  api.add({
    method: "get",
    path: "/api/v1/broadcasts",
    summary: "Broadcasts of the caller's subtree, newest first, with status, next occurrence and play counts",
    tag: TAG,
    query: BroadcastListQuery,
    responses: { 200: { description: "broadcasts", schema: BroadcastList }, ...AUTH_ERRORS, 404: PROBLEM("areaId unknown or outside your area"), 422: PROBLEM("invalid filter") },
    handler: (call) => {
      call.requirePermission("broadcasts.read");
      const { areaId, status } = call.query;
      const within = call.listScope("broadcasts.read", areaId);
      const data = ctx.catalog.data();
      const now = ctx.clock.now();
      const items = data.broadcasts
        .map((b, order) => ({ b, order }))
        .filter(({ b }) => within.has(b.areaId) && (status === undefined || b.status === status))
        .sort((x, y) => y.b.createdAt.localeCompare(x.b.createdAt) || y.order - x.order)
        .map(({ b }) => viewOf(b, data, call.areas(), d.book.index, now));
      return { status: 200, body: { items } };
    },
  });
}

function registerCreate(api: ApiRouter, ctx: RouteContext, d: DeliveryApi): void {
  api.add({
    method: "post",
    path: "/api/v1/broadcasts",
    summary: "Schedule a bulletin: now, at a time, or recurring (cron in a zone); plans go out to the receivers at once",
    tag: TAG,
    body: BroadcastCreateBody,
    responses: {
      201: { description: "scheduled; conflicts with other broadcasts are reported, not refused", schema: BroadcastCreated },
      ...AUTH_ERRORS,
      422: PROBLEM("invalid body; bulletin_unknown; unknown_targets (named in errors); invalid_cron; invalid_tz; invalid_time; no_occurrence; quiet_hours (with violations: area, hours, play time; detailVi)"),
    },
    handler: async (call) => {
      call.requirePermission("broadcasts.write");
      const { user } = call.actor;
      const checked = asProblem(() => checkNewBroadcast({ body: call.body, data: ctx.catalog.data(), areas: call.areas(), actor: user, nowMs: ctx.clock.now(), tz: d.tz }));
      const b = checked.broadcast;
      const conflicts = conflictsOf(b, ctx.catalog.data(), call.areas(), ctx.clock.now());
      await ctx.catalog.update((draft) => {
        if (!draft.bulletins.some((x) => x.id === b.bulletinId)) throw new BroadcastRuleError("bulletin_unknown", `bulletin ${b.bulletinId} was just deleted`, `Bản tin ${b.bulletinId} vừa bị xóa.`);
        draft.broadcasts.push(b);
      });
      await replanQuietly(ctx, d, `broadcast ${b.id} created`);
      const sent = await d.playNow(b);
      await call.audit("broadcast.create", { type: "broadcast", id: b.id }, {
        bulletinId: b.bulletinId, priority: b.priority, when: b.when, targets: b.targets, devices: checked.deviceIds.length, conflicts: conflicts.length, ...("now" in b.when ? { playNowSent: sent.sent.length, playNowFailed: sent.failed.length } : {}),
      });
      const body: BroadcastCreated = {
        broadcast: viewOf(b, ctx.catalog.data(), call.areas(), d.book.index, ctx.clock.now()),
        conflicts,
        plannedPlays: d.plannedCount(b.id),
        targetDevices: checked.deviceIds.length,
      };
      return { status: 201, body, headers: { Location: `/api/v1/broadcasts/${b.id}` } };
    },
  });
}

function registerGet(api: ApiRouter, ctx: RouteContext, d: DeliveryApi): void {
  api.add({
    method: "get",
    path: "/api/v1/broadcasts/:id",
    summary: "One broadcast with its per-device play summary (counts by status, failures by reason), conflicts and latest plays",
    tag: TAG,
    responses: { 200: { description: "the broadcast", schema: BroadcastDetail }, ...AUTH_ERRORS, 404: PROBLEM("unknown or outside your area") },
    handler: (call) => ({ status: 200, body: detailOf(call, ctx, d, visible(call, ctx, call.param("id"))) }),
  });
}

function registerPatch(api: ApiRouter, ctx: RouteContext, d: DeliveryApi): void {
  api.add({
    method: "patch",
    path: "/api/v1/broadcasts/:id",
    summary: "Pause, resume or cancel a broadcast, or set staff's order for collisions; the affected plans are republished before the reply",
    tag: TAG,
    body: BroadcastPatchBody,
    responses: {
      200: { description: "changed (or already so)", schema: BroadcastDetail },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown broadcast"),
      409: PROBLEM("broadcast_final: cancelled or done broadcasts do not change"),
      422: PROBLEM("invalid body"),
    },
    handler: async (call) => {
      const id = call.param("id");
      const before = call.visible(ctx.catalog.data().broadcasts, id, "broadcasts.write", "broadcast");
      const { status, order } = call.body;
      const changed = await ctx.catalog.update((draft) => {
        const b = draft.broadcasts.find((x) => x.id === id);
        if (!b) throw new NotFoundError(`broadcast ${id}`);
        return applyPatch(b, status, order);
      });
      const after = ctx.catalog.data().broadcasts.find((x) => x.id === id) ?? before;
      if (changed) {
        await replanQuietly(ctx, d, `broadcast ${id} ${status ?? "reordered"}`);
        await call.audit("broadcast.update", { type: "broadcast", id }, { from: before.status, to: after.status, ...(order !== undefined ? { order } : {}) });
      }
      return { status: 200, body: detailOf(call, ctx, d, after) };
    },
  });
}

/** Mutates the draft record; true when something changed. */
function applyPatch(b: Broadcast, status: "active" | "paused" | "cancelled" | undefined, order: number | null | undefined): boolean {
  const final = b.status === "cancelled" || b.status === "done";
  if (final && ((status !== undefined && status !== b.status) || order !== undefined)) {
    throw new BroadcastRuleError("broadcast_final", `broadcast ${b.id} is ${b.status}: it does not change any more`, `Lịch phát ${b.id} đã ${b.status === "done" ? "hoàn tất" : "bị hủy"}, không thể thay đổi.`);
  }
  let changed = false;
  if (status !== undefined && status !== b.status) {
    b.status = status;
    changed = true;
  }
  if (order !== undefined && (order ?? undefined) !== b.order) {
    if (order === null) delete b.order;
    else b.order = order;
    changed = true;
  }
  return changed;
}

/** The change is stored; plans that could not go out now go out with the next roll (within a minute). */
async function replanQuietly(ctx: RouteContext, d: DeliveryApi, reason: string): Promise<void> {
  try {
    await d.replan(reason);
  } catch (err) {
    ctx.log.error({ reason, err: errorMessage(err) }, "replan after a broadcast change failed; the next roll retries");
  }
}

/** Rule errors as problem documents: both languages, the fields at fault, and quiet-hours violations. */
function asProblem<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QuietHoursError) {
      const violations = err.violations.slice(0, 50).map((v) => ({ ...v, deviceIds: v.deviceIds.slice(0, 20) }));
      const errors = violations.map((v) => ({ path: "$.when", message: `${v.message.en} (play at ${v.localAt})` }));
      const doc: ProblemDetails & { violations: typeof violations } = { ...problem("quiet_hours", err.message, { detailVi: err.messageVi, errors }), violations };
      throw new ProblemError(doc);
    }
    if (err instanceof BroadcastRuleError) {
      throw new ProblemError(problem(err.code, err.message, { detailVi: err.messageVi, ...(err.errors.length > 0 ? { errors: err.errors } : {}) }));
    }
    throw err;
  }
}
