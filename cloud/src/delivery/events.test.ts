/**
 * Proof of play in (ARCHITECTURE §3 "Nothing lost", events/ack): each (deviceId, seq) stored once, the ack
 * only after the journal append is durable, duplicates and replays after a restart acked again and counted
 * once, statuses never going backwards, and the sweep of plays nobody reported.
 */
import { describe, expect, it } from "vitest";
import { isoOf, type DeviceEvent, type EventsPayload } from "@loa/shared";
import { MemoryJournal } from "../testing/memory-store.js";
import { GatedJournal, T0, broadcast, world, type World } from "./delivery.fixture.js";

const AT = T0 + 3_600_000;
const PLAY = `bc1:${AT}`;

type Ev = DeviceEvent extends infer E ? (E extends DeviceEvent ? Omit<E, "seq" | "ts"> : never) : never;

/** A batch of events numbered from `firstSeq`. */
function batch(firstSeq: number, ...events: Ev[]): EventsPayload {
  const numbered = events.map((e, i) => ({ ...e, seq: firstSeq + i, ts: AT + i })) as DeviceEvent[];
  return { seq: firstSeq + events.length - 1, events: numbered };
}

async function settle(w: World): Promise<void> {
  await w.clock.advance(0);
}

const acks = (w: World, id = "d1"): number[] => w.bus.of("ack").filter((a) => a.deviceId === id).map((a) => a.payload.upToSeq);

async function playWorld(journal?: MemoryJournal): Promise<World> {
  return world({ broadcasts: [broadcast("bc1", { at: isoOf(AT) }, { targets: { areaIds: [], deviceIds: ["d1", "d2"] } })], ...(journal ? { journal } : {}) });
}

describe("events and acks", () => {
  it("moves a play planned → delivered → ready → started → finished, acking each batch", async () => {
    const w = await playWorld();
    const version = w.delivery.api.book.index.get("d1", PLAY)?.plannedVersion ?? -1;
    const status = () => w.delivery.api.book.index.get("d1", PLAY)?.status;
    w.bus.deviceEvents("d1", batch(1, { type: "plan_applied", version }));
    await settle(w);
    expect(status()).toBe("delivered");
    w.bus.deviceEvents("d1", batch(2, { type: "media_ready", sha256: w.sha }));
    await settle(w);
    expect(status()).toBe("ready");
    w.bus.deviceEvents("d1", batch(3, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT + 12) }, { type: "play_finished", playId: PLAY, playedMs: 59_950 }));
    await settle(w);
    expect(w.delivery.api.book.index.get("d1", PLAY)).toMatchObject({ status: "finished", startedAt: isoOf(AT + 12), playedMs: 59_950, finishedAt: isoOf(AT + 1) });
    expect(acks(w)).toEqual([1, 2, 4]);
    // d2 said nothing: its play is still planned.
    expect(w.delivery.api.book.index.get("d2", PLAY)?.status).toBe("planned");
  });

  it("an older plan_applied does not deliver plays that only a newer plan holds", async () => {
    const w = await playWorld();
    const version = w.delivery.api.book.index.get("d1", PLAY)?.plannedVersion ?? 0;
    w.bus.deviceEvents("d1", batch(1, { type: "plan_applied", version: version - 1 }));
    await settle(w);
    expect(w.delivery.api.book.index.get("d1", PLAY)?.status).toBe("planned");
  });

  it("stores a duplicate batch once and acks it again; counts the duplicates", async () => {
    const w = await playWorld();
    const b = batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) });
    w.bus.deviceEvents("d1", b);
    w.bus.deviceEvents("d1", b); // a QoS 1 duplicate while the first is being written
    await settle(w);
    w.bus.deviceEvents("d1", b); // a resend after a lost ack
    await settle(w);
    expect(acks(w)).toEqual([1, 1, 1]);
    expect(w.journal.entries.filter((e) => e.kind === "event")).toHaveLength(1);
    expect(w.delivery.stats().events).toMatchObject({ stored: 1, duplicates: 2, duplicateBatches: 2 });
  });

  it("publishes the ack only after the journal append resolved", async () => {
    const journal = new GatedJournal();
    const w = await world({ journal, broadcasts: [broadcast("bc1", { at: isoOf(AT) }, { targets: { areaIds: [], deviceIds: ["d1"] } })] });
    journal.gated = true;
    w.bus.deviceEvents("d1", batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) }));
    await settle(w);
    expect(journal.held).toBe(1);
    expect(acks(w)).toEqual([]);
    journal.release();
    await settle(w);
    expect(acks(w)).toEqual([1]);
    expect(journal.entries.some((e) => e.kind === "event" && e.seq === 1)).toBe(true);
  });

  it("does not ack when the journal fails; the resend is stored then", async () => {
    const journal = new MemoryJournal();
    const w = await playWorld(journal);
    const append = journal.append.bind(journal);
    journal.append = () => Promise.reject(new Error("disk full"));
    const b = batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) });
    w.bus.deviceEvents("d1", b);
    await settle(w);
    expect(acks(w)).toEqual([]);
    journal.append = append;
    w.bus.deviceEvents("d1", b);
    await settle(w);
    expect(acks(w)).toEqual([1]);
    expect(w.delivery.stats().events).toMatchObject({ storeErrors: 1, stored: 1 });
  });

  it("after a restart (journal replay) a replayed batch is a duplicate: acked, not stored again; the index is rebuilt", async () => {
    const journal = new MemoryJournal();
    const w = await playWorld(journal);
    const b = batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) }, { type: "play_finished", playId: PLAY, playedMs: 60_000 });
    w.bus.deviceEvents("d1", b);
    await settle(w);
    const stored = journal.entries.length;
    const again = await w.restart();
    expect(again.api.book.index.get("d1", PLAY)?.status).toBe("finished");
    expect(again.api.book.index.get("d2", PLAY)?.status).toBe("planned");
    w.bus.deviceEvents("d1", b);
    await settle(w);
    expect(acks(w)).toEqual([2, 2]);
    expect(journal.entries.filter((e) => e.kind === "event")).toHaveLength(2);
    expect(journal.entries.length).toBe(stored);
    expect(again.stats().events).toMatchObject({ stored: 0, duplicates: 2 });
    await again.close();
  });

  it("acks the highest seq it holds when a device starts counting again from 1 (storage replaced)", async () => {
    const w = await playWorld();
    w.bus.deviceEvents("d1", batch(1, { type: "media_ready", sha256: w.sha }, { type: "media_ready", sha256: w.sha }, { type: "media_ready", sha256: w.sha }));
    await settle(w);
    w.bus.deviceEvents("d1", batch(1, { type: "plan_applied", version: 1 }));
    await settle(w);
    expect(acks(w)).toEqual([3, 3]);
  });

  it("never moves a status backwards: finished stays finished", async () => {
    const w = await playWorld();
    w.bus.deviceEvents("d1", batch(1, { type: "play_finished", playId: PLAY, playedMs: 60_000 }, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) }, { type: "play_failed", playId: PLAY, reason: "late" }));
    await settle(w);
    expect(w.delivery.api.book.index.get("d1", PLAY)).toMatchObject({ status: "finished", playedMs: 60_000 });
    expect(acks(w)).toEqual([3]);
  });

  it("drops events of devices that are not provisioned (no ack)", async () => {
    const w = await playWorld();
    w.bus.deviceEvents("ghost", batch(1, { type: "plan_applied", version: 1 }));
    await settle(w);
    expect(acks(w, "ghost")).toEqual([]);
    expect(w.delivery.stats().events.unknownDevice).toBe(1);
  });

  it("tells listeners about each change once it is durable", async () => {
    const w = await playWorld();
    const seen: string[] = [];
    w.delivery.onChange((c) => seen.push(`${c.deviceId} ${c.playId} ${c.status}`));
    w.bus.deviceEvents("d1", batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) }));
    await settle(w);
    expect(seen).toEqual([`d1 ${PLAY} started`]);
  });
});

describe("sweep", () => {
  it("marks an unreported play missed when the device is offline, failed (no_report) when online; a later report wins", async () => {
    const w = await playWorld();
    w.presence.set("d2", true);
    await w.clock.advanceTo(AT + 60_000 + 4 * 60_000);
    expect(await w.delivery.jobs.sweep()).toBe(0); // grace (5 min) not over yet
    await w.clock.advance(60_000);
    expect(await w.delivery.jobs.sweep()).toBe(2);
    expect(w.delivery.api.book.index.get("d1", PLAY)).toMatchObject({ status: "missed", reason: "offline", inferred: true });
    expect(w.delivery.api.book.index.get("d2", PLAY)).toMatchObject({ status: "failed", reason: "no_report" });
    // d1 played from its own plan while offline and reports when back.
    w.bus.deviceEvents("d1", batch(1, { type: "play_started", playId: PLAY, at: isoOf(AT), startedAt: isoOf(AT) }, { type: "play_finished", playId: PLAY, playedMs: 60_000 }));
    await settle(w);
    const r = w.delivery.api.book.index.get("d1", PLAY);
    expect(r).toMatchObject({ status: "finished", playedMs: 60_000 });
    expect(r?.reason).toBeUndefined();
    expect(r?.inferred).toBeUndefined();
    expect(await w.delivery.jobs.sweep()).toBe(0);
  });

  it("marks an unreported play missed when the device is online again but rebooted after the play's time", async () => {
    const w = await playWorld();
    w.presence.set("d1", true, AT - 3_600_000); // this boot heard since before T: should have reported
    w.presence.set("d2", true, AT + 120_000); // powered off across T, its new boot heard after it
    await w.clock.advanceTo(AT + 60_000 + 5 * 60_000);
    expect(await w.delivery.jobs.sweep()).toBe(2);
    expect(w.delivery.api.book.index.get("d1", PLAY)).toMatchObject({ status: "failed", reason: "no_report", inferred: true });
    expect(w.delivery.api.book.index.get("d2", PLAY)).toMatchObject({ status: "missed", reason: "offline", inferred: true });
  });
});
