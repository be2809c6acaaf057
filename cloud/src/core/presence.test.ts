import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { FakeClock, examples, type StatusBirth, type TelemetryPayload } from "@loa/shared";
import { Presence, type PresenceChange } from "./presence.js";

const birth = (bootId: string): StatusBirth => ({ online: true, bootId, agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: "2026-01-01T00:00:00.000Z" });
const will = (bootId: string) => ({ online: false as const, bootId });

function setup(): { p: Presence; clock: FakeClock; changes: PresenceChange[]; revoked: string[] } {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 6));
  const revoked: string[] = [];
  const p = new Presence({ clock, log: pino({ level: "silent" }), revoke: (id) => void revoked.push(id) });
  const changes: PresenceChange[] = [];
  p.onChange((c) => changes.push(c));
  return { p, clock, changes, revoked };
}

describe("Presence (ARCHITECTURE §3 status)", () => {
  it("birth → online with bootId, version, profile, startedAt; will of the same boot → offline", async () => {
    const { p, clock, changes } = setup();
    p.onStatus("dev_a", birth("b1"));
    expect(p.snapshot("dev_a")).toMatchObject({ online: true, bootId: "b1", agentVersion: "0.1.0", profile: "loa-amp-v1", startedAt: "2026-01-01T00:00:00.000Z", lastSeen: clock.now(), changedAt: clock.now() });
    await clock.advance(5000);
    p.onStatus("dev_a", will("b1"));
    expect(p.snapshot("dev_a")).toMatchObject({ online: false, bootId: "b1", changedAt: clock.now() });
    expect(changes.map((c) => c.reason)).toEqual(["online", "offline"]);
  });

  it("bootSeenAt: cloud time a boot's birth first came live; kept across reconnects of the same boot, null when only retained", async () => {
    const { p, clock } = setup();
    p.onStatus("dev_a", birth("b1"), { retained: true });
    expect(p.snapshot("dev_a")?.bootSeenAt).toBeNull();
    await clock.advance(1000);
    const first = clock.now();
    p.onStatus("dev_a", birth("b2"));
    await clock.advance(60_000);
    p.onStatus("dev_a", will("b2"));
    p.onStatus("dev_a", birth("b2")); // link back, same boot
    expect(p.snapshot("dev_a")?.bootSeenAt).toBe(first);
    await clock.advance(1000);
    p.onStatus("dev_a", birth("b3")); // rebooted
    expect(p.snapshot("dev_a")?.bootSeenAt).toBe(clock.now());
  });

  it("a late will of an earlier boot does not mark the reconnected device offline", () => {
    const { p, changes } = setup();
    p.onStatus("dev_a", birth("old"));
    p.onStatus("dev_a", birth("new"));
    p.onStatus("dev_a", will("old"));
    expect(p.snapshot("dev_a")).toMatchObject({ online: true, bootId: "new" });
    expect(p.ignoredWills).toBe(1);
    expect(changes.map((c) => c.reason)).toEqual(["online", "online"]);
    p.onStatus("dev_a", will("new"));
    expect(p.snapshot("dev_a")?.online).toBe(false);
  });

  it("duplicates (QoS 1 redelivery) change nothing and emit nothing", () => {
    const { p, changes } = setup();
    p.onStatus("dev_a", birth("b1"));
    p.onStatus("dev_a", birth("b1"));
    p.onStatus("dev_a", will("b1"));
    p.onStatus("dev_a", will("b1"));
    expect(changes.map((c) => c.reason)).toEqual(["online", "offline"]);
  });

  it("a retained status replayed at subscribe sets the state but not lastSeen or changedAt", () => {
    const { p } = setup();
    p.onStatus("dev_a", birth("b1"), { retained: true });
    p.onStatus("dev_b", will("b7"), { retained: true });
    expect(p.snapshot("dev_a")).toMatchObject({ online: true, lastSeen: null, changedAt: null });
    expect(p.snapshot("dev_b")).toMatchObject({ online: false, bootId: "b7", lastSeen: null });
  });

  it("keeps the last telemetry and lastSeen; faults from telemetry and from events, with since", async () => {
    const { p, clock, changes } = setup();
    p.onStatus("dev_a", birth("b1"));
    const t: TelemetryPayload = { ...examples.telemetry, amp: { reachable: true, faults: ["over_temperature"] } };
    await clock.advance(30_000);
    p.onTelemetry("dev_a", t);
    const t1 = clock.now();
    expect(p.snapshot("dev_a")).toMatchObject({ lastSeen: t1, telemetry: t, faults: [{ code: "over_temperature", since: t1 }] });
    await clock.advance(30_000);
    p.onTelemetry("dev_a", { ...t, amp: { reachable: false, faults: ["over_temperature"] } });
    expect(p.snapshot("dev_a")?.faults).toEqual([{ code: "over_temperature", since: t1 }, { code: "unreachable", since: clock.now() }]);
    p.onEvents("dev_a", { seq: 2, events: [
      { seq: 1, ts: 111, type: "amp_fault", code: "output_short", detail: "short on line 2" },
      { seq: 2, ts: 112, type: "amp_recovered", code: "over_temperature" },
    ] });
    expect(p.snapshot("dev_a")?.faults.map((f) => f.code)).toEqual(["unreachable", "output_short"]);
    expect(p.snapshot("dev_a")?.faults[1]).toEqual({ code: "output_short", detail: "short on line 2", since: 111 });
    expect(changes.map((c) => c.reason)).toEqual(["online", "faults", "faults", "faults"]);
    p.onTelemetry("dev_a", { ...t, amp: { reachable: true, faults: [] } });
    expect(p.snapshot("dev_a")?.faults).toEqual([]);
    p.onTelemetry("dev_a", { ...t, amp: { reachable: true, faults: [] } });
    expect(changes.at(-1)?.reason).toBe("telemetry");
  });

  it("snapshots are copies; unknown devices are undefined; forget and revoke", async () => {
    const { p, changes, revoked } = setup();
    expect(p.health("dev_x")).toBeUndefined();
    p.onStatus("dev_a", birth("b1"));
    const snap = p.snapshot("dev_a");
    if (snap) snap.online = false;
    expect(p.snapshot("dev_a")?.online).toBe(true);
    expect(p.snapshots().map((s) => s.deviceId)).toEqual(["dev_a"]);
    await p.revoke("dev_a");
    expect(revoked).toEqual(["dev_a"]);
    p.forget("dev_a");
    expect(p.snapshot("dev_a")).toBeUndefined();
    expect(changes.at(-1)?.reason).toBe("forgotten");
  });

  it("liveCounts counts online and faulted devices among the included ids only", () => {
    const { p } = setup();
    p.onStatus("dev_a", birth("a1"));
    p.onStatus("dev_b", birth("b1"));
    p.onTelemetry("dev_b", { ...examples.telemetry, amp: { reachable: true, faults: ["over_temperature"] } });
    p.onStatus("dev_c", birth("c1"));
    p.onStatus("dev_c", will("c1"));
    p.onStatus("dev_gone", birth("g1"));
    expect(p.liveCounts((id) => id !== "dev_gone")).toEqual({ online: 2, fault: 1 });
    expect(p.liveCounts(() => false)).toEqual({ online: 0, fault: 0 });
  });

  it("a throwing listener does not stop the others", () => {
    const { p, changes } = setup();
    p.onChange(() => {
      throw new Error("boom");
    });
    p.onStatus("dev_a", birth("b1"));
    expect(changes).toHaveLength(1);
  });
});
