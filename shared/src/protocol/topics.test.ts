import { describe, expect, it } from "vitest";
import { EXAMPLE_DEVICE_ID as ID, EXAMPLE_SHA256 as SHA } from "./examples.js";
import { ProtocolError } from "./errors.js";
import { PAYLOAD_SCHEMAS } from "./payloads.js";
import {
  CLOUD_TO_DEV_KINDS,
  DEVICE_TOPIC_KINDS,
  DEV_TO_CLOUD_KINDS,
  TOPIC_SPECS,
  createTopics,
  type DeviceTopicKind,
} from "./topics.js";

const t = createTopics();

// ARCHITECTURE §3 topic table
const EXPECTED: Record<DeviceTopicKind, string> = {
  status: `loa/v1/dev/${ID}/status`,
  telemetry: `loa/v1/dev/${ID}/telemetry`,
  events: `loa/v1/dev/${ID}/events`,
  ack: `loa/v1/dev/${ID}/ack`,
  plan: `loa/v1/dev/${ID}/plan`,
  cmd: `loa/v1/dev/${ID}/cmd`,
  cmdRes: `loa/v1/dev/${ID}/cmd/res`,
  mediaReq: `loa/v1/dev/${ID}/media/req`,
  timeReq: `loa/v1/dev/${ID}/time/req`,
  timeRes: `loa/v1/dev/${ID}/time/res`,
};

describe("createTopics", () => {
  it.each(DEVICE_TOPIC_KINDS.map((k) => [k]))("builds and parses %s", (kind) => {
    const topic = t[kind](ID);
    expect(topic).toBe(EXPECTED[kind]);
    expect(t.device(kind, ID)).toBe(topic);
    expect(t.parse(topic)).toEqual({ kind, deviceId: ID });
  });

  it("builds and parses media chunk topics", () => {
    expect(t.media(SHA, 0)).toBe(`loa/v1/media/${SHA}/0`);
    expect(t.parse(t.media(SHA, 0))).toEqual({ kind: "media", sha256: SHA, index: 0 });
    expect(t.parse(t.media(SHA, 99_999))).toEqual({ kind: "media", sha256: SHA, index: 99_999 });
    expect(t.mediaFilter()).toBe("loa/v1/media/+/+");
    expect(t.mediaFilter(SHA)).toBe(`loa/v1/media/${SHA}/+`);
  });

  it("builds subscription filters for all devices", () => {
    expect(t.allDevices("status")).toBe("loa/v1/dev/+/status");
    expect(t.allDevices("cmdRes")).toBe("loa/v1/dev/+/cmd/res");
  });

  it("uses a configured prefix", () => {
    const custom = createTopics("acme/loa/v2");
    expect(custom.plan("d1")).toBe("acme/loa/v2/dev/d1/plan");
    expect(custom.parse("acme/loa/v2/dev/d1/plan")).toEqual({ kind: "plan", deviceId: "d1" });
    expect(custom.parse("loa/v1/dev/d1/plan")).toBeNull();
    expect(t.parse("acme/loa/v2/dev/d1/plan")).toBeNull();
  });

  it.each([[""], ["/loa"], ["loa/"], ["loa//v1"], ["loa/+"], ["loa/#"], ["$SYS"], ["a\u0000b"]])(
    "refuses the prefix %j",
    (prefix) => {
      expect(() => createTopics(prefix)).toThrow(ProtocolError);
    },
  );

  it.each([[""], ["a/b"], ["+"], ["#"], ["dev+1"], ["x".repeat(65)], ["dev 1"], ["thiết-bị"]])(
    "refuses to build a topic for device id %j",
    (id) => {
      expect(() => t.status(id)).toThrow(ProtocolError);
    },
  );

  it("refuses to build bad media topics", () => {
    expect(() => t.media(SHA.toUpperCase(), 0)).toThrow(ProtocolError);
    expect(() => t.media(SHA, -1)).toThrow(ProtocolError);
    expect(() => t.media(SHA, 1.5)).toThrow(ProtocolError);
    expect(() => t.media(SHA, 100_000)).toThrow(ProtocolError);
    expect(() => t.mediaFilter("abc")).toThrow(ProtocolError);
  });
});

describe("parse rejects foreign topics", () => {
  it.each([
    ["other prefix", `loa/v2/dev/${ID}/status`],
    ["no prefix", `dev/${ID}/status`],
    ["prefix only", "loa/v1"],
    ["prefix with slash", "loa/v1/"],
    ["extra level", `loa/v1/dev/${ID}/status/x`],
    ["extra level after cmd/res", `loa/v1/dev/${ID}/cmd/res/x`],
    ["missing kind", `loa/v1/dev/${ID}`],
    ["unknown kind", `loa/v1/dev/${ID}/config`],
    ["half a two-level kind", `loa/v1/dev/${ID}/time`],
    ["reversed two-level kind", `loa/v1/dev/${ID}/res/cmd`],
    ["bad device id", "loa/v1/dev/a b/status"],
    ["wildcard id", "loa/v1/dev/+/status"],
    ["empty id", "loa/v1/dev//status"],
    ["uppercase sha", `loa/v1/media/${SHA.toUpperCase()}/0`],
    ["short sha", "loa/v1/media/abc/0"],
    ["index with leading zero", `loa/v1/media/${SHA}/01`],
    ["negative index", `loa/v1/media/${SHA}/-1`],
    ["index too big", `loa/v1/media/${SHA}/100000`],
    ["index wildcard", `loa/v1/media/${SHA}/+`],
    ["media extra level", `loa/v1/media/${SHA}/0/1`],
    ["media missing index", `loa/v1/media/${SHA}`],
    ["unknown root", `loa/v1/other/${ID}/status`],
    ["empty", ""],
    ["leading slash", `/loa/v1/dev/${ID}/status`],
  ])("%s: %s", (_name, topic) => {
    expect(t.parse(topic)).toBeNull();
  });
});

describe("topic specs", () => {
  // ARCHITECTURE §3 table: direction, QoS, retained
  it("matches the contract table", () => {
    expect(TOPIC_SPECS.status).toEqual({ dir: "dev→cloud", qos: 1, retain: true });
    expect(TOPIC_SPECS.plan).toEqual({ dir: "cloud→dev", qos: 1, retain: true });
    expect(TOPIC_SPECS.telemetry.qos).toBe(0);
    expect(TOPIC_SPECS.timeReq.qos).toBe(0);
    expect(TOPIC_SPECS.timeRes.qos).toBe(0);
    expect(TOPIC_SPECS.media).toEqual({ dir: "cloud→devs", qos: 1, retain: false });
    expect([...DEV_TO_CLOUD_KINDS].sort()).toEqual(["cmdRes", "events", "mediaReq", "status", "telemetry", "timeReq"]);
    expect([...CLOUD_TO_DEV_KINDS].sort()).toEqual(["ack", "cmd", "plan", "timeRes"]);
  });

  it("types every per-device topic with a payload schema", () => {
    expect(Object.keys(PAYLOAD_SCHEMAS).sort()).toEqual([...DEVICE_TOPIC_KINDS].sort());
  });
});
