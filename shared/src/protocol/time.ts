import { z } from "zod";
import { EpochMs } from "./common.js";

/**
 * NTP-style offset (ARCHITECTURE §3 time/req, time/res). The device sends `t0` (its clock at send); the
 * cloud answers `t1` (its clock at receipt) and `t2` (its clock at reply); with `t3` = device clock at
 * receipt: offset = ((t1 - t0) + (t2 - t3)) / 2, round trip = (t3 - t0) - (t2 - t1).
 */
export const TimeReqPayload = z.object({ t0: EpochMs });
export type TimeReqPayload = z.infer<typeof TimeReqPayload>;

export const TimeResPayload = z
  .object({ t0: EpochMs, t1: EpochMs, t2: EpochMs })
  .refine((r) => r.t2 >= r.t1, { message: "t2 must not be before t1", path: ["t2"] });
export type TimeResPayload = z.infer<typeof TimeResPayload>;

/** Offset of the device clock relative to the cloud (cloud = device + offset), and the round trip, in ms. */
export function clockOffset(res: TimeResPayload, t3: number): { offsetMs: number; rttMs: number } {
  return {
    offsetMs: (res.t1 - res.t0 + (res.t2 - t3)) / 2,
    rttMs: t3 - res.t0 - (res.t2 - res.t1),
  };
}
