import { z } from "zod";
import { Code, EpochMs, UtcTime, NonNegInt, PlayId, Seq, Sha256, Text } from "./common.js";
import { LIMITS } from "./limits.js";

/**
 * Device events and their batches (ARCHITECTURE §3 events/ack, "Nothing lost").
 * Every event carries its own per-device `seq` (starts at 1, +1 per event, survives reboots) and `ts`
 * (epoch ms, device clock, when it happened).
 */
const base = { seq: Seq, ts: EpochMs };

export const PlanAppliedEvent = z.object({ ...base, type: z.literal("plan_applied"), version: NonNegInt });
export const MediaReadyEvent = z.object({ ...base, type: z.literal("media_ready"), sha256: Sha256 });

export const PlayStartedEvent = z.object({
  ...base,
  type: z.literal("play_started"),
  playId: PlayId,
  /** The planned start, copied from the plan item. */
  at: UtcTime,
  /** When audio really began. */
  startedAt: UtcTime,
  /** True when the play began later than its tolerance (e.g. media arrived late); `lateMs` says by how much. */
  late: z.boolean().optional(),
  lateMs: NonNegInt.optional(),
});

export const PlayFinishedEvent = z.object({
  ...base,
  type: z.literal("play_finished"),
  playId: PlayId,
  playedMs: NonNegInt,
});

export const PlayFailedEvent = z.object({ ...base, type: z.literal("play_failed"), playId: PlayId, reason: Text });

export const PlayMissedEvent = z.object({
  ...base,
  type: z.literal("play_missed"),
  playId: PlayId,
  /** Why, e.g. `media_missing`, `agent_down`; optional. */
  reason: Text.optional(),
});

export const PlayInterruptedEvent = z.object({
  ...base,
  type: z.literal("play_interrupted"),
  playId: PlayId,
  /** The play that pre-empted it; absent when a `stop` command or shutdown ended it. */
  byPlayId: PlayId.optional(),
  /** The `stop` command that ended it, if any. */
  byCmdId: PlayId.optional(),
  playedMs: NonNegInt,
});

export const AmpFaultEvent = z.object({ ...base, type: z.literal("amp_fault"), code: Code, detail: Text });
export const AmpRecoveredEvent = z.object({ ...base, type: z.literal("amp_recovered"), code: Code });

/**
 * The outbox was full and dropped the events `fromSeq..toSeq` (oldest first) to stay bounded. It explains
 * the gap in seq to the cloud; it is itself a normal event with its own (newer) seq.
 */
export const OutboxDroppedEvent = z
  .object({
    ...base,
    type: z.literal("outbox_dropped"),
    count: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    fromSeq: Seq,
    toSeq: Seq,
  })
  .refine((e) => e.fromSeq <= e.toSeq && e.toSeq < e.seq, {
    message: "needs fromSeq <= toSeq < seq",
    path: ["toSeq"],
  });

export const DeviceEvent = z.discriminatedUnion("type", [
  PlanAppliedEvent,
  MediaReadyEvent,
  PlayStartedEvent,
  PlayFinishedEvent,
  PlayFailedEvent,
  PlayMissedEvent,
  PlayInterruptedEvent,
  AmpFaultEvent,
  AmpRecoveredEvent,
  OutboxDroppedEvent,
]);
export type DeviceEvent = z.infer<typeof DeviceEvent>;
export type EventType = DeviceEvent["type"];
export type EventOf<T extends EventType> = Extract<DeviceEvent, { type: T }>;
export const EVENT_TYPES = DeviceEvent.options.map((o) => o.shape.type.value) as readonly EventType[];

/**
 * One batch from the outbox. Decision: the batch `seq` is the highest (= last) event seq in the batch, so the
 * cloud answers a stored batch with `ack {upToSeq: batch.seq}`. Events are in strictly increasing seq order
 * (gaps are allowed: acked or dropped events are gone).
 */
export const EventsPayload = z
  .object({
    seq: Seq,
    events: z.array(DeviceEvent).min(1).max(LIMITS.eventsPerBatch),
  })
  .superRefine((batch, ctx) => {
    for (let i = 1; i < batch.events.length; i++) {
      const prev = batch.events[i - 1];
      const cur = batch.events[i];
      if (prev && cur && cur.seq <= prev.seq) {
        ctx.addIssue({ code: "custom", message: "event seqs must strictly increase", path: ["events", i, "seq"] });
        return;
      }
    }
    const last = batch.events[batch.events.length - 1];
    if (last && last.seq !== batch.seq) {
      ctx.addIssue({ code: "custom", message: "batch seq must equal the last event's seq", path: ["seq"] });
    }
  });
export type EventsPayload = z.infer<typeof EventsPayload>;

/** Sent by the cloud after it stored every event with seq <= upToSeq durably; cumulative. */
export const AckPayload = z.object({ upToSeq: NonNegInt });
export type AckPayload = z.infer<typeof AckPayload>;
