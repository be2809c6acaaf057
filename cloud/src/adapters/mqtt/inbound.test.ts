import { describe, expect, it } from "vitest";
import { FakeClock, createTopics, encodePayload, examples } from "@loa/shared";
import { silentLog } from "../../broker/test-kit.fixture.js";
import { InboundRouter } from "./inbound.js";

function router(): { r: InboundRouter; clock: FakeClock } {
  const clock = new FakeClock();
  return { r: new InboundRouter({ topics: createTopics(), clock, log: silentLog }), clock };
}

describe("InboundRouter (ARCHITECTURE §3: invalid payloads dropped, counted, logged, never crash)", () => {
  it("hands a valid payload, typed, to every handler of its kind with the device id and arrival time", () => {
    const { r, clock } = router();
    const got: unknown[] = [];
    r.on("events", (id, p, meta) => void got.push([id, p.seq, meta.receivedAt, meta.retained]));
    r.on("events", (id) => void got.push(id));
    r.dispatch("loa/v1/dev/dev_a/events", encodePayload("events", examples.events), false);
    expect(got).toEqual([["dev_a", 104, clock.now(), false], "dev_a"]);
    expect(r.counters().received.events).toBe(1);
  });

  it.each([
    ["not JSON", Buffer.from("{nope")],
    ["bad UTF-8", Buffer.from([0xff, 0xfe, 0x7b])],
    ["schema", Buffer.from(JSON.stringify({ seq: "x", events: [] }))],
    ["too large", Buffer.alloc(2 * 1024 * 1024, 0x20)],
  ])("drops and counts %s", (_name, bytes) => {
    const { r } = router();
    const got: unknown[] = [];
    const seen: string[] = [];
    r.on("events", (_id, p) => void got.push(p));
    r.onSeen((id) => void seen.push(id));
    expect(() => r.dispatch("loa/v1/dev/dev_a/events", bytes, false)).not.toThrow();
    expect(got).toEqual([]);
    expect(seen).toEqual(["dev_a"]);
    expect(r.counters().invalid).toMatchObject({ events: 1, status: 0 });
  });

  it("counts handlers that throw or reject, and still calls the next one", async () => {
    const { r } = router();
    const got: string[] = [];
    r.on("status", () => {
      throw new Error("sync boom");
    });
    r.on("status", () => Promise.reject(new Error("async boom")));
    r.on("status", (id) => void got.push(id));
    r.dispatch("loa/v1/dev/dev_a/status", encodePayload("status", examples.status), false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual(["dev_a"]);
    expect(r.counters().handlerErrors).toBe(2);
  });

  it("ignores empty payloads (cleared retained), unknown topics and cloud→dev kinds; retained ones are not 'seen'", () => {
    const { r } = router();
    const seen: string[] = [];
    r.onSeen((id) => void seen.push(id));
    r.dispatch("loa/v1/dev/dev_a/status", Buffer.alloc(0), false);
    r.dispatch("loa/v1/dev/dev_a/plan", encodePayload("plan", examples.plan), false);
    r.dispatch("loa/v1/something/else", Buffer.from("{}"), false);
    r.dispatch("loa/v1/dev/dev_b/status", encodePayload("status", examples.status), true);
    expect(r.counters()).toMatchObject({ empty: 1, unknownTopic: 2, received: { status: 1 } });
    expect(seen).toEqual(["dev_a"]);
  });

  it("a removed handler is not called", () => {
    const { r } = router();
    let calls = 0;
    const off = r.on("telemetry", () => void calls++);
    off();
    r.dispatch("loa/v1/dev/dev_a/telemetry", encodePayload("telemetry", examples.telemetry), false);
    expect(calls).toBe(0);
  });
});
