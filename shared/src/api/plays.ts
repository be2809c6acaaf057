/**
 * REST views of the proof of play (ARCHITECTURE §2 Play, §7 `/api/v1/plays`, `/api/v1/reports/plays.csv`).
 */
import { z } from "zod";
import { Id, IsoTime, Play, PlayStatus } from "../model.js";

/** A play as the API shows it: the record plus the place and the bulletin it belongs to. */
export const PlayView = Play.extend({
  /** The device's area when the play was planned (reports group by it). */
  areaId: Id.optional(),
  /** The bulletin's length. */
  durationMs: z.number().int().nonnegative().optional(),
});
export type PlayView = z.infer<typeof PlayView>;

/** A calendar day (`2026-11-27`, read in the server's zone) or an ISO date-time. */
export const DayOrTime = z.union([z.iso.date(), IsoTime]);

export const PlayListQuery = z
  .object({
    broadcastId: Id.optional(),
    deviceId: Id.optional(),
    /** Plays of devices in this area's subtree. */
    areaId: Id.optional(),
    status: PlayStatus.optional(),
    /** Plays whose `at` is at or after `from` and before `to`. */
    from: DayOrTime.optional(),
    to: DayOrTime.optional(),
    /** Opaque: the `nextCursor` of the previous page. */
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type PlayListQuery = z.infer<typeof PlayListQuery>;

/** Newest first (by `at`, then device, then playId); `nextCursor` is null on the last page. */
export const PlayList = z.object({ items: z.array(PlayView), nextCursor: z.string().nullable() });
export type PlayList = z.infer<typeof PlayList>;

export const PlaysCsvQuery = z
  .object({
    from: DayOrTime.optional(),
    to: DayOrTime.optional(),
    areaId: Id.optional(),
    broadcastId: Id.optional(),
    /** Column headers and status words: Vietnamese (default) or English. */
    lang: z.enum(["vi", "en"]).default("vi"),
  })
  .strict();
export type PlaysCsvQuery = z.infer<typeof PlaysCsvQuery>;
