/**
 * REST bodies and views for broadcasts, what staff schedule (ARCHITECTURE §2 Broadcast, §7
 * `/api/v1/broadcasts`): create, list with status and the next occurrence, one broadcast with its per-device
 * play summary and conflicts, and the status change (pause, resume, cancel).
 */
import { z } from "zod";
import { Broadcast, BroadcastStatus, Id, IsoTime, PlayStatus, Priority, Targets, Volume } from "../model.js";
import { listOf } from "./common.js";
import { PlayView } from "./plays.js";

/** Staff's order for two plays colliding on a device: lower goes first (ARCHITECTURE §2). */
export const BroadcastOrder = z.number().int().min(-1_000_000).max(1_000_000);

/**
 * `when` as a client sends it: `{now: true}`, `{at}` (ISO with an offset), or `{cron, tz?, from?, until?}`.
 * Without `tz` a cron is read in the server's zone (LOA_TZ, default Asia/Ho_Chi_Minh). Cron syntax: 5 or 6
 * fields (`sec min hour dom month dow`), node-cron compatible; checked by the server (422 invalid_cron).
 */
export const WhenInput = z.union([
  z.object({ now: z.literal(true) }).strict(),
  z.object({ at: IsoTime }).strict(),
  z
    .object({
      cron: z.string().trim().min(9, "cron: 5 or 6 fields").max(100),
      tz: z.string().min(1).max(64).optional(),
      from: IsoTime.optional(),
      until: IsoTime.optional(),
    })
    .strict(),
]);
export type WhenInput = z.infer<typeof WhenInput>;

/** The stored `Targets` shape, closed to unknown keys and never empty. */
export const BroadcastTargetsInput = Targets.strict().refine((t) => t.areaIds.length + t.deviceIds.length > 0, {
  message: "targets: name at least one area or device",
});

export const BroadcastCreateBody = z
  .object({
    bulletinId: Id,
    targets: BroadcastTargetsInput,
    priority: Priority.default("normal"),
    when: WhenInput,
    volume: Volume.optional(),
    order: BroadcastOrder.optional(),
  })
  .strict();
export type BroadcastCreateBody = z.infer<typeof BroadcastCreateBody>;

/** `cancelled` is final; `done` is set by the server once the last occurrence has played. */
export const BroadcastPatchBody = z
  .object({
    status: z.enum(["active", "paused", "cancelled"]).optional(),
    /** null removes staff's order. */
    order: BroadcastOrder.nullable().optional(),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.order !== undefined, { message: "nothing to change: give status or order" });
export type BroadcastPatchBody = z.infer<typeof BroadcastPatchBody>;

export const BroadcastListQuery = z
  .object({
    status: BroadcastStatus.optional(),
    /** Broadcasts owned by this area's subtree. */
    areaId: Id.optional(),
  })
  .strict();
export type BroadcastListQuery = z.infer<typeof BroadcastListQuery>;

const Count = z.number().int().nonnegative();

/** How many plays are in each status (every status present, 0 when none). */
export const PlayStatusCounts = z.object(
  Object.fromEntries(PlayStatus.options.map((s) => [s, Count])) as Record<PlayStatus, typeof Count>,
);
export type PlayStatusCounts = z.infer<typeof PlayStatusCounts>;

/** Per-device progress of a broadcast (ARCHITECTURE §7 "with per-device play summary"). */
export const BroadcastSummary = z.object({
  /** Receivers the targets reach now. */
  devices: Count,
  /** Plays recorded (every occurrence on every device) and how many are in each status. */
  plays: Count,
  byStatus: PlayStatusCounts,
  /** Failed, missed and interrupted plays counted by reason. */
  reasons: z.record(z.string(), Count),
  /** Devices that reported `finished` for at least one play. */
  devicesFinished: Count,
});
export type BroadcastSummary = z.infer<typeof BroadcastSummary>;

export const BroadcastView = Broadcast.extend({
  /** The bulletin's title; null once the bulletin is gone. */
  bulletinTitle: z.string().nullable(),
  /** The next occurrence from now (ISO UTC), or null when none is left or it is not active. */
  nextAt: IsoTime.nullable(),
  summary: BroadcastSummary,
});
export type BroadcastView = z.infer<typeof BroadcastView>;
export const BroadcastList = listOf(BroadcastView);

export const ConflictSideView = z.object({
  playId: z.string(),
  broadcastId: Id,
  priority: Priority,
  at: IsoTime,
  endsAt: IsoTime,
});

/** Two plays overlapping on one device; `first` plays first by the rules of ARCHITECTURE §2. */
export const ConflictView = z.object({
  deviceId: Id,
  first: ConflictSideView,
  second: ConflictSideView,
  overlapMs: Count,
  /** What decided the order: emergency, priority, order (staff's), createdAt, tiebreak. */
  rule: z.enum(["emergency", "priority", "order", "createdAt", "tiebreak"]),
});
export type ConflictView = z.infer<typeof ConflictView>;

export const BroadcastCreated = z.object({
  broadcast: BroadcastView,
  /** Collisions with other broadcasts on the targeted devices in the coming week (reported, not refused). */
  conflicts: z.array(ConflictView),
  /** Plays of this broadcast now in the receivers' plans (the plan horizon, default 48 h). */
  plannedPlays: Count,
  /** Receivers the targets reach. */
  targetDevices: Count,
});
export type BroadcastCreated = z.infer<typeof BroadcastCreated>;

export const BroadcastDetail = z.object({
  broadcast: BroadcastView,
  conflicts: z.array(ConflictView),
  /** The most recent plays (at most 1000, newest first); page through all with `GET /api/v1/plays?broadcastId=`. */
  plays: z.array(PlayView),
  playsTotal: Count,
});
export type BroadcastDetail = z.infer<typeof BroadcastDetail>;
