import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LoaError } from "../errors.js";
import { ProtocolError } from "./errors.js";
import { examples } from "./examples.js";
import { MAX_PAYLOAD_BYTES } from "./limits.js";
import { PAYLOAD_SCHEMAS, encodePayload, formatPath, parsePayload, type PayloadKind } from "./payloads.js";

const KINDS = Object.keys(PAYLOAD_SCHEMAS) as PayloadKind[];

function expectError(kind: PayloadKind, input: Buffer | Uint8Array | string, code: string): ProtocolError {
  const res = parsePayload(kind, input);
  expect(res.ok).toBe(false);
  if (res.ok) throw new Error("unreachable");
  expect(res.error).toBeInstanceOf(ProtocolError);
  expect(res.error).toBeInstanceOf(LoaError);
  expect(res.error.code).toBe(code);
  return res.error;
}

// ARCHITECTURE §3: an invalid payload is dropped, counted and logged, never crashes a process
describe("parsePayload", () => {
  it.each(KINDS.map((k) => [k]))("parses the %s example from Buffer, Uint8Array and string", (kind) => {
    const text = JSON.stringify(examples[kind]);
    const buf = Buffer.from(text);
    for (const input of [buf, new Uint8Array(buf), text]) {
      expect(parsePayload(kind, input)).toEqual({ ok: true, value: examples[kind] });
    }
  });

  it("never throws on random bytes, for every kind", () => {
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(1 + (i * 37) % 700);
      for (const kind of KINDS) {
        const res = parsePayload(kind, bytes);
        expect(res.ok).toBe(false);
      }
    }
  });

  it("reports invalid UTF-8 as invalid_utf8", () => {
    expectError("ack", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "invalid_utf8");
    expectError("status", Buffer.from([0xc3, 0x28]), "invalid_utf8"); // truncated 2-byte sequence
    expectError("plan", Buffer.from([0xed, 0xa0, 0x80]), "invalid_utf8"); // encoded surrogate
  });

  it("reports text that is not JSON as invalid_json", () => {
    for (const input of ["", " ", "{", "{upToSeq: 1}", "NaN", "'x'", "{\"upToSeq\":1}}", "\u0000"]) {
      expectError("ack", input, "invalid_json");
    }
  });

  it.each([["[]"], ["[1,2]"], ["42"], ["null"], ["true"], ['"ack"'], ["{}"]])("reports JSON %s as invalid_payload", (json) => {
    for (const kind of KINDS) expectError(kind, json, "invalid_payload");
  });

  it.each(KINDS.map((k) => [k]))("rejects a %s payload over its byte limit before parsing", (kind) => {
    const max = MAX_PAYLOAD_BYTES[kind];
    const huge = `{"pad":"${"x".repeat(max)}"}`;
    const err = expectError(kind, Buffer.from(huge), "too_large");
    expect(err.details).toMatchObject({ kind, max });
    expectError(kind, huge, "too_large");
  });

  it("counts bytes, not characters, for string input", () => {
    // 400 three-byte characters: 400 code units but 1200 bytes, over the 1 KiB limit of ack
    const text = `{"upToSeq":1,"x":"${"ộ".repeat(400)}"}`;
    expect(text.length).toBeLessThan(MAX_PAYLOAD_BYTES.ack);
    expectError("ack", text, "too_large");
  });

  it("survives deeply nested JSON within the limit", () => {
    const deep = "[".repeat(500_000) + "]".repeat(500_000);
    const res = parsePayload("events", deep);
    expect(res.ok).toBe(false);
  });

  it("names the first issues with their paths in the message", () => {
    const bad = { ...examples.plan, version: "x", items: [{ ...examples.plan.items[0], priority: "urgent" }] };
    const err = expectError("plan", JSON.stringify(bad), "invalid_payload");
    expect(err.message).toMatch(/^invalid plan payload: /);
    expect(err.message).toContain("version:");
    expect(err.message).toContain("items[0].priority:");
    expect(err.details).toMatchObject({ kind: "plan" });
  });

  it("says how many issues it left out of the message", () => {
    const err = expectError("telemetry", JSON.stringify({ ts: -1 }), "invalid_payload");
    expect(err.message).toMatch(/\(\+\d+ more\)$/);
  });

  it("accepts a UTF-8 byte order mark", () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"upToSeq":7}')]);
    expect(parsePayload("ack", withBom)).toEqual({ ok: true, value: { upToSeq: 7 } });
  });

  it("drops unknown fields (a newer sender stays readable)", () => {
    const res = parsePayload("ack", '{"upToSeq":7,"future":true}');
    expect(res).toEqual({ ok: true, value: { upToSeq: 7 } });
  });
});

describe("encodePayload", () => {
  it("returns the JSON bytes of a valid payload", () => {
    const buf = encodePayload("timeReq", { t0: 1767247200000 });
    expect(buf).toBeInstanceOf(Buffer);
    expect(buf.toString("utf8")).toBe('{"t0":1767247200000}');
  });

  it("throws invalid_payload on an invalid value", () => {
    const bad = { upToSeq: -1 };
    expect(() => encodePayload("ack", bad)).toThrow(ProtocolError);
    expect(() => encodePayload("ack", bad)).toThrow(/upToSeq/);
  });

  it("throws too_large when the valid value encodes over the limit", () => {
    const result = { blob: "x".repeat(MAX_PAYLOAD_BYTES.cmdRes) };
    try {
      encodePayload("cmdRes", { cmdId: "c1", ok: true, result });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe("too_large");
    }
  });
});

describe("formatPath", () => {
  it("renders zod paths readably", () => {
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["items", 3, "media", "sha256"])).toBe("items[3].media.sha256");
    expect(formatPath([0, "a"])).toBe("[0].a");
  });
});
