import { describe, expect, it } from "vitest";
import { CMD_ARGS, COMMAND_TYPES } from "./cmd.js";
import { EVENT_TYPES } from "./events.js";
import {
  EXAMPLE_SHA256,
  exampleCmdResError,
  exampleCommands,
  exampleEvents,
  exampleMedia,
  examples,
  exampleStatusWill,
} from "./examples.js";
import { LIMITS } from "./limits.js";
import { PAYLOAD_SCHEMAS, encodePayload, validatePayload, type PayloadKind } from "./payloads.js";

const long = (n: number) => "x".repeat(n);
function omit<T extends object>(obj: T, key: keyof T): Omit<T, typeof key> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

const { status, telemetry, events, plan, cmd, cmdRes, mediaReq, timeRes } = examples;
const planItem = plan.items[0]!;
const ev = exampleEvents;

/** At least three malformed payloads per kind: wrong type, missing field, oversized (ARCHITECTURE §3 rules). */
const BAD: Record<PayloadKind, Array<[string, unknown]>> = {
  status: [
    ["online not boolean", { ...status, online: "yes" }],
    ["birth without bootId", omit(status, "bootId")],
    ["bootId too long", { ...status, bootId: long(LIMITS.idMax + 1) }],
    ["startedAt with offset", { ...status, startedAt: "2026-01-01T13:00:00+07:00" }],
    ["will without bootId", { online: false }],
    ["profile with slash", { ...status, profile: "loa/amp" }],
  ],
  telemetry: [
    ["uptimeS as string", { ...telemetry, uptimeS: "5237" }],
    ["missing amp", omit(telemetry, "amp")],
    ["amp without reachable", { ...telemetry, amp: omit(telemetry.amp, "reachable") }],
    ["too many faults", { ...telemetry, amp: { ...telemetry.amp, faults: Array.from({ length: 33 }, () => "x") } }],
    ["amp volume 101", { ...telemetry, amp: { ...telemetry.amp, volume: 101 } }],
    ["playing missing (must be null)", omit(telemetry, "playing")],
    ["negative outboxDepth", { ...telemetry, outboxDepth: -1 }],
    ["fault code with spaces", { ...telemetry, amp: { ...telemetry.amp, faults: ["Over Temp"] } }],
  ],
  events: [
    ["events not array", { seq: 104, events: ev.play_started }],
    ["missing seq", omit(events, "seq")],
    ["too many events", { seq: 600, events: Array.from({ length: 501 }, (_, i) => ({ ...ev.media_ready, seq: i + 100 })) }],
    ["empty batch", { seq: 1, events: [] }],
    ["batch seq not the last", { ...events, seq: 105 }],
    ["seqs not increasing", { seq: 103, events: [ev.play_finished, ev.play_started] }],
    ["unknown event type", { seq: 103, events: [{ ...ev.play_started, type: "play_paused" }] }],
    ["event without ts", { seq: 103, events: [omit(ev.play_started, "ts")] }],
    ["event seq 0", { seq: 0, events: [{ ...ev.plan_applied, seq: 0 }] }],
  ],
  ack: [
    ["upToSeq as string", { upToSeq: "104" }],
    ["missing upToSeq", {}],
    ["upToSeq beyond safe integer", { upToSeq: Number.MAX_SAFE_INTEGER + 2 }],
    ["fractional", { upToSeq: 1.5 }],
  ],
  plan: [
    ["version as string", { ...plan, version: "42" }],
    ["missing serverTime", omit(plan, "serverTime")],
    ["too many items", { ...plan, items: Array.from({ length: 2001 }, (_, i) => ({ ...planItem, playId: `p:${i}` })) }],
    ["item at as epoch ms", { ...plan, items: [{ ...planItem, at: 1767247200000 }] }],
    ["bad priority", { ...plan, items: [{ ...planItem, priority: "urgent" }] }],
    ["uppercase sha256", { ...plan, items: [{ ...planItem, media: { ...exampleMedia, sha256: EXAMPLE_SHA256.toUpperCase() } }] }],
    ["chunkSize too small", { ...plan, items: [{ ...planItem, media: { ...exampleMedia, chunkSize: 100 } }] }],
    ["duplicate playId", { ...plan, items: [planItem, planItem] }],
    ["unknown codec", { ...plan, items: [{ ...planItem, media: { ...exampleMedia, codec: "flac" } }] }],
    ["playId too long", { ...plan, items: [{ ...planItem, playId: long(LIMITS.idMax + 1) }] }],
  ],
  cmd: [
    ["args volume as string", { ...cmd, args: { volume: "70" } }],
    ["missing expiresAt", omit(cmd, "expiresAt")],
    ["cmdId too long", { ...cmd, cmdId: long(LIMITS.idMax + 1) }],
    ["unknown type", { ...cmd, type: "format_disk" }],
    ["volume above 100", { ...cmd, args: { volume: 101 } }],
    ["args of another type", { ...exampleCommands.amp_power, args: { volume: 70 } }],
    ["play_now without media", { ...exampleCommands.play_now, args: omit(exampleCommands.play_now.args, "media") }],
    ["test tone of 30 kHz", { ...exampleCommands.test_tone, args: { freqHz: 30_000 } }],
  ],
  cmdRes: [
    ["ok as string", { ...cmdRes, ok: "true" }],
    ["failure without error", { cmdId: exampleCmdResError.cmdId, ok: false }],
    ["error message too long", { ...exampleCmdResError, error: { code: "x", message: long(LIMITS.textMax + 1) } }],
    ["missing cmdId", omit(cmdRes, "cmdId")],
    ["result not an object", { ...cmdRes, result: 5 }],
  ],
  mediaReq: [
    ["missing as string", { ...mediaReq, missing: "0,2,3" }],
    ["missing sha256", omit(mediaReq, "sha256")],
    ["too many indexes", { ...mediaReq, missing: Array.from({ length: LIMITS.missingChunks + 1 }, (_, i) => i % 1000) }],
    ["negative index", { ...mediaReq, missing: [-1] }],
    ["empty list", { ...mediaReq, missing: [] }],
    ["short sha256", { ...mediaReq, sha256: "abc" }],
  ],
  timeReq: [
    ["t0 as ISO", { t0: "2026-01-01T06:00:00.000Z" }],
    ["missing t0", {}],
    ["t0 beyond Date range", { t0: 9e15 }],
    ["negative t0", { t0: -5 }],
  ],
  timeRes: [
    ["t1 as string", { ...timeRes, t1: "1" }],
    ["missing t2", omit(timeRes, "t2")],
    ["t2 beyond Date range", { ...timeRes, t2: 9e15 }],
    ["t2 before t1", { ...timeRes, t2: timeRes.t1 - 1 }],
  ],
};

describe("payload schemas", () => {
  // ARCHITECTURE §3: every payload except media chunks is JSON validated by a shared zod schema
  for (const kind of Object.keys(PAYLOAD_SCHEMAS) as PayloadKind[]) {
    describe(kind, () => {
      it("accepts the example and round-trips it through JSON", () => {
        const res = validatePayload(kind, examples[kind]);
        expect(res).toEqual({ ok: true, value: examples[kind] });
        expect(JSON.parse(encodePayload(kind, examples[kind]).toString("utf8"))).toEqual(examples[kind]);
      });

      it.each(BAD[kind])("rejects %s", (_name, value) => {
        const res = validatePayload(kind, value);
        expect(res.ok).toBe(false);
        if (!res.ok) expect(res.error.code).toBe("invalid_payload");
      });

      it("has at least three malformed cases", () => {
        expect(BAD[kind].length).toBeGreaterThanOrEqual(3);
      });
    });
  }
});

describe("status", () => {
  // ARCHITECTURE §3 status: the will pairs with the birth by bootId
  it("accepts the will and tells it from the birth by `online`", () => {
    const res = validatePayload("status", exampleStatusWill);
    expect(res.ok && res.value.online === false && res.value.bootId).toBe("b_9c0e51d2a7f3");
  });
});

describe("events", () => {
  // ARCHITECTURE §3 event types
  it.each(EVENT_TYPES.map((t) => [t]))("accepts a batch holding one %s event", (type) => {
    const event = exampleEvents[type];
    expect(validatePayload("events", { seq: event.seq, events: [event] }).ok).toBe(true);
  });

  it("knows exactly the contract's event types plus outbox_dropped", () => {
    expect([...EVENT_TYPES].sort()).toEqual(
      [
        "amp_fault",
        "amp_recovered",
        "media_ready",
        "outbox_dropped",
        "plan_applied",
        "play_failed",
        "play_finished",
        "play_interrupted",
        "play_missed",
        "play_started",
      ].sort(),
    );
  });

  it("accepts a late start and an interruption by a stop command", () => {
    const late = { ...ev.play_started, late: true, lateMs: 4200 };
    const stopped = { ...omit(ev.play_interrupted, "byPlayId"), byCmdId: "cmd_a7f39c0e51d2" };
    expect(validatePayload("events", { seq: 107, events: [late, stopped] }).ok).toBe(true);
  });

  it("rejects an outbox_dropped whose range is inverted or not older than itself", () => {
    const inverted = { ...ev.outbox_dropped, fromSeq: 9, toSeq: 7 };
    const future = { ...ev.outbox_dropped, fromSeq: 7, toSeq: 110 };
    expect(validatePayload("events", { seq: 110, events: [inverted] }).ok).toBe(false);
    expect(validatePayload("events", { seq: 110, events: [future] }).ok).toBe(false);
  });

  it("a full batch of 500 failures with the longest 3-byte-per-char reason fits the byte limit", () => {
    const reason = "ộ".repeat(LIMITS.textMax); // worst case for Vietnamese text in UTF-8
    const batch = Array.from({ length: LIMITS.eventsPerBatch }, (_, i) => ({
      ...ev.play_failed,
      seq: i + 1,
      playId: `bc_${"7".repeat(100)}:${1767247200000 + i}`,
      reason,
    }));
    expect(encodePayload("events", { seq: 500, events: batch }).length).toBeGreaterThan(800_000);
  });
});

describe("cmd", () => {
  // ARCHITECTURE §3 cmd types
  it.each(COMMAND_TYPES.map((t) => [t]))("accepts a %s command", (type) => {
    expect(validatePayload("cmd", exampleCommands[type]).ok).toBe(true);
  });

  it("has the contract's seven command types", () => {
    expect(Object.keys(CMD_ARGS).sort()).toEqual(
      ["amp_power", "play_now", "reboot", "set_volume", "stop", "sync_time", "test_tone"].sort(),
    );
  });

  it("accepts a failure reply with a coded error", () => {
    expect(validatePayload("cmdRes", exampleCmdResError).ok).toBe(true);
  });
});

describe("plan and media/req size", () => {
  it("a plan of 2000 items with long ids fits its byte limit", () => {
    const items = Array.from({ length: LIMITS.planItems }, (_, i) => ({
      ...planItem,
      playId: `${"b".repeat(110)}:${1767247200000 + i * 60_000}`,
      volume: 100,
    }));
    expect(encodePayload("plan", { ...plan, items }).length).toBeGreaterThan(500_000);
  });

  it("a media/req naming every possible chunk fits its byte limit", () => {
    const missing = Array.from({ length: LIMITS.missingChunks }, (_, i) => i);
    expect(encodePayload("mediaReq", { sha256: EXAMPLE_SHA256, missing }).length).toBeGreaterThan(400_000);
  });

  it("rejects media with more chunks than a media/req can name", () => {
    const media = { ...exampleMedia, bytes: LIMITS.chunkSizeMin * LIMITS.missingChunks + 1, chunkSize: LIMITS.chunkSizeMin };
    expect(validatePayload("plan", { ...plan, items: [{ ...planItem, media }] }).ok).toBe(false);
  });
});
