/** REST bodies for the area tree (ARCHITECTURE §2, §7). */
import { z } from "zod";
import { Area, AreaKind, DEFAULT_TZ, Id, QuietHours } from "../model.js";
import { listOf } from "./common.js";

/** An IANA zone the runtime knows (Intl rejects unknown ones). */
export const IanaZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isKnownZone, { message: "tz: not an IANA time zone (e.g. Asia/Ho_Chi_Minh)" });

/**
 * Whether the runtime knows this IANA zone (Intl rejects unknown ones). The first Intl.DateTimeFormat of a
 * process maps ~8 MB of ICU locale data into its RSS for good, a third of a receiver's budget
 * (docs/performance.md, footprint), so it is asked only for names that are neither the default zone nor in
 * ICU's list of canonical zones (cheap to read): aliases such as Asia/Saigon or other spellings. Every name
 * the shortcut accepts is one Intl.DateTimeFormat accepts too (areas.test.ts checks all of them).
 */
export function isKnownZone(tz: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  if (tz === DEFAULT_TZ || canonicalZones.has(tz)) return true;
  return formatterAccepts(tz);
}

/** ICU's canonical zone names, read once. */
let canonicalZones: ReadonlySet<string> | undefined;

/** The full check: whether Intl.DateTimeFormat takes the zone. */
export function formatterAccepts(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const EditableQuietHours = QuietHours.refine((q) => q.start !== q.end, {
  message: "quietHours: start and end must differ",
}).nullable();

export const AreaList = listOf(Area);

export const AreaCreateBody = z
  .object({
    name: z.string().trim().min(1, "name: required").max(200),
    parentId: Id,
    kind: AreaKind,
    quietHours: EditableQuietHours.optional(),
    tz: IanaZone.optional(),
  })
  .strict();
export type AreaCreateBody = z.infer<typeof AreaCreateBody>;

/** Moving an area (parentId, kind) is not offered: delete and recreate, so scoping never changes under users. */
export const AreaPatchBody = z
  .object({
    name: z.string().trim().min(1, "name: required").max(200).optional(),
    /** null clears the quiet hours. */
    quietHours: EditableQuietHours.optional(),
    tz: IanaZone.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to change: give name, quietHours or tz" });
export type AreaPatchBody = z.infer<typeof AreaPatchBody>;
