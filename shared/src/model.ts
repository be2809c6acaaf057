/**
 * The domain model of ARCHITECTURE §2 as zod schemas: the one source of truth for the catalogue records
 * the cloud stores, the REST API returns and the panel shows.
 */
import { z } from "zod";

export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "id: 1-64 letters, digits, _ or -");
export const IsoTime = z.iso.datetime({ offset: true });
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "sha256: 64 lowercase hex digits");
/** The zone a place without its own `tz` reads its clock in (ARCHITECTURE §2). */
export const DEFAULT_TZ = "Asia/Ho_Chi_Minh";
/** "HH:MM", 24-hour clock. */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "time of day as HH:MM");

export const AreaKind = z.enum(["province", "district", "commune", "village"]);
export type AreaKind = z.infer<typeof AreaKind>;

/** Quiet hours in the area's zone; `start` > `end` wraps past midnight (22:00–05:00). */
export const QuietHours = z.object({ start: ClockTime, end: ClockTime });
export type QuietHours = z.infer<typeof QuietHours>;

export const Area = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  parentId: Id.nullable(),
  kind: AreaKind,
  quietHours: QuietHours.nullable().optional(),
  /** IANA zone; inherited from the parent when absent, default Asia/Ho_Chi_Minh. */
  tz: z.string().max(64).optional(),
});
export type Area = z.infer<typeof Area>;

export const Role = z.enum(["admin", "staff", "operator"]);
export type Role = z.infer<typeof Role>;

export const User = z.object({
  id: Id,
  username: z.string().regex(/^[a-z0-9._-]{2,64}$/, "username: 2-64 of a-z 0-9 . _ -"),
  displayName: z.string().max(200).optional(),
  passwordHash: z.string(),
  role: Role,
  areaId: Id,
  createdAt: IsoTime,
  disabled: z.boolean().optional(),
});
export type User = z.infer<typeof User>;

export const ApiToken = z.object({
  id: Id,
  userId: Id,
  name: z.string().min(1).max(100),
  tokenHash: z.string(),
  createdAt: IsoTime,
  lastUsedAt: IsoTime.optional(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const Device = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  areaId: Id,
  profile: z.string().min(1).max(64),
  tokenHash: z.string(),
  /**
   * The same token as a Mosquitto password hash (`$7$<iterations>$<salt>$<hash>`, PBKDF2-SHA512), stored at
   * provisioning and rotation so `loa-cloud export-mosquitto` can write a password file for an external
   * broker without the plain token (ARCHITECTURE §4). Not secret-equivalent, but never shown by the API.
   */
  mqttHash: z.string().optional(),
  createdAt: IsoTime,
});
export type Device = z.infer<typeof Device>;

export const Codec = z.enum(["opus", "mp3"]);
export type Codec = z.infer<typeof Codec>;

export const BulletinSource = z.enum(["upload", "tts", "cap"]);

export const Bulletin = z.object({
  id: Id,
  title: z.string().min(1).max(200),
  sha256: Sha256Hex,
  bytes: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
  codec: Codec,
  loudnessLufs: z.number().nullable(),
  source: BulletinSource,
  areaId: Id,
  createdBy: Id,
  createdAt: IsoTime,
  text: z.string().max(5000).optional(),
});
export type Bulletin = z.infer<typeof Bulletin>;

export const Priority = z.enum(["normal", "priority", "emergency"]);
export type Priority = z.infer<typeof Priority>;

export const When = z.union([
  z.object({ now: z.literal(true) }).strict(),
  z.object({ at: IsoTime }).strict(),
  z
    .object({
      cron: z.string().min(9).max(100),
      tz: z.string().max(64).default(DEFAULT_TZ),
      from: IsoTime.optional(),
      until: IsoTime.optional(),
    })
    .strict(),
]);
export type When = z.infer<typeof When>;

export const Targets = z.object({
  areaIds: z.array(Id).max(500).default([]),
  deviceIds: z.array(Id).max(5000).default([]),
});
export type Targets = z.infer<typeof Targets>;

export const BroadcastStatus = z.enum(["active", "paused", "cancelled", "done"]);
export type BroadcastStatus = z.infer<typeof BroadcastStatus>;

export const Volume = z.number().int().min(0).max(100);

export const Broadcast = z.object({
  id: Id,
  bulletinId: Id,
  targets: Targets,
  priority: Priority,
  volume: Volume.optional(),
  when: When,
  status: BroadcastStatus,
  /** The area whose staff own it (scoping); the creator's area. */
  areaId: Id,
  createdBy: Id,
  createdAt: IsoTime,
  /** Staff's order when two plays collide on a device: lower goes first. */
  order: z.number().int().optional(),
});
export type Broadcast = z.infer<typeof Broadcast>;

export const PlayStatus = z.enum(["planned", "delivered", "ready", "started", "finished", "failed", "missed", "interrupted"]);
export type PlayStatus = z.infer<typeof PlayStatus>;

export const Play = z.object({
  playId: z.string().max(140),
  broadcastId: Id,
  deviceId: Id,
  at: IsoTime,
  status: PlayStatus,
  reason: z.string().max(500).optional(),
  startedAt: IsoTime.optional(),
  finishedAt: IsoTime.optional(),
  playedMs: z.number().int().nonnegative().optional(),
});
export type Play = z.infer<typeof Play>;
