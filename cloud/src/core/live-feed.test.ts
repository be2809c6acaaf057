import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { FakeClock, examples, type StatusBirth } from "@loa/shared";
import { LiveFeed, PresenceTranslator, type LiveEvent } from "./live-feed.js";
import { Presence } from "./presence.js";

const birth: StatusBirth = { online: true, bootId: "b1", agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: "2026-01-01T00:00:00.000Z" };

function setup() {
  const log = pino({ level: "silent" });
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 6));
  const presence = new Presence({ clock, log });
  const feed = new LiveFeed(log);
  const translator = new PresenceTranslator(feed);
  presence.onChange((c) => translator.onChange(c));
  const events: LiveEvent[] = [];
  feed.subscribe((e) => events.push(e));
  return { presence, events };
}

describe("LiveFeed + PresenceTranslator (SSE events, ARCHITECTURE §7)", () => {
  it("online/offline → presence; telemetry → health; a fault raised or cleared → health and fault with the difference", () => {
    const { presence, events } = setup();
    presence.onStatus("dev_a", birth);
    const t = examples.telemetry;
    presence.onTelemetry("dev_a", t);
    presence.onTelemetry("dev_a", { ...t, amp: { ...t.amp, faults: ["over_temperature"] } });
    presence.onTelemetry("dev_a", { ...t, amp: { ...t.amp, reachable: false, faults: [] } });
    presence.onStatus("dev_a", { online: false, bootId: "b1" });
    presence.forget("dev_a");
    expect(events.map((e) => e.type)).toEqual(["presence", "health", "health", "fault", "health", "fault", "presence", "presence"]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[0]?.data).toMatchObject({ deviceId: "dev_a", online: true, state: "online", bootId: "b1", lastSeenAt: "2026-01-01T06:00:00.000Z" });
    expect(events[1]?.data).toMatchObject({ state: "online", amp: { reachable: true, powered: true, volume: 80, temperatureC: 41.5, faults: [] }, faults: [], cpuTempC: 48.3 });
    expect(events[3]?.data).toMatchObject({ raised: ["over_temperature"], cleared: [] });
    expect(events[5]?.data).toMatchObject({ raised: ["unreachable"], cleared: ["over_temperature"] });
    expect(events[6]?.data).toMatchObject({ online: false, state: "offline" });
    expect(events[7]?.data).toMatchObject({ online: false, removed: true });
    expect(events.every((e) => e.deviceId === "dev_a")).toBe(true);
  });

  it("a failing listener does not stop the others; unsubscribe works", () => {
    const feed = new LiveFeed(pino({ level: "silent" }));
    const seen: number[] = [];
    feed.subscribe(() => {
      throw new Error("boom");
    });
    const off = feed.subscribe((e) => seen.push(e.id));
    feed.publish({ type: "command", deviceId: "d", data: {} });
    off();
    feed.publish({ type: "command", deviceId: "d", data: {} });
    expect(seen).toEqual([1]);
    expect(feed.subscribers).toBe(1);
  });
});
