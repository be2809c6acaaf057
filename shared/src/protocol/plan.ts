import { z } from "zod";
import { Priority, Volume } from "../model.js";
import { UtcTime, MediaRef, NonNegInt, PlayId, Sha256 } from "./common.js";
import { LIMITS } from "./limits.js";

/** One play of the device's plan (ARCHITECTURE §3 plan). */
export const PlanItem = z.object({
  playId: PlayId,
  /** Planned start, ISO UTC. */
  at: UtcTime,
  priority: Priority,
  /** Amplifier volume for this play; absent = the device's current volume. */
  volume: Volume.optional(),
  media: MediaRef,
});
export type PlanItem = z.infer<typeof PlanItem>;

/**
 * The retained plan: every play of the next `planHorizonH` hours. `version` increases with every change, so a
 * device ignores an older plan; `serverTime` is when the cloud built it.
 */
export const PlanPayload = z
  .object({
    version: NonNegInt,
    serverTime: UtcTime,
    items: z.array(PlanItem).max(LIMITS.planItems),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.items.forEach((item, i) => {
      if (seen.has(item.playId)) {
        ctx.addIssue({ code: "custom", message: `duplicate playId ${item.playId}`, path: ["items", i, "playId"] });
      }
      seen.add(item.playId);
    });
  });
export type PlanPayload = z.infer<typeof PlanPayload>;

/** A device asks for the chunks it lacks (ARCHITECTURE §3 "Media over MQTT, pulled then multicast"). */
export const MediaReqPayload = z.object({
  sha256: Sha256,
  /** Zero-based chunk indexes, at least one. */
  missing: z
    .array(z.number().int().min(0).max(LIMITS.missingChunks - 1))
    .min(1)
    .max(LIMITS.missingChunks),
});
export type MediaReqPayload = z.infer<typeof MediaReqPayload>;
