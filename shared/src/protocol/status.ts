import { z } from "zod";
import { IdToken, UtcTime } from "./common.js";

/** Amplifier profile id, e.g. `loa-amp-v1` (ARCHITECTURE §5). */
export const ProfileId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must match [A-Za-z0-9._-]{1,64}");

/** Agent version, e.g. `0.1.0` or `0.2.0-rc.1+g3f9a1c2`. */
export const AgentVersion = z.string().regex(/^[0-9A-Za-z.+_-]{1,32}$/, "must match [0-9A-Za-z.+_-]{1,32}");

/** Birth message, published retained on every connect (ARCHITECTURE §3 status). */
export const StatusBirth = z.object({
  online: z.literal(true),
  /** New random id per agent start; pairs the birth with its will. */
  bootId: IdToken,
  agentVersion: AgentVersion,
  profile: ProfileId,
  /** When this agent process started. */
  startedAt: UtcTime,
});
export type StatusBirth = z.infer<typeof StatusBirth>;

/**
 * Last will, set at connect and published by the broker when the link dies. The cloud ignores a will whose
 * bootId is not the current birth's, so a late will never marks a reconnected device offline.
 */
export const StatusWill = z.object({
  online: z.literal(false),
  bootId: IdToken,
});
export type StatusWill = z.infer<typeof StatusWill>;

export const StatusPayload = z.discriminatedUnion("online", [StatusBirth, StatusWill]);
export type StatusPayload = z.infer<typeof StatusPayload>;
