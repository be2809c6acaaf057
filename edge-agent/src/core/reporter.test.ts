/** Reporter: play events → PlanStore state → outbox → reported marker, in order (ARCHITECTURE §3 "Nothing lost"). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "@loa/shared";
import { pino } from "pino";
import { NodeDurableFs } from "../adapters/fs/node-fs.js";
import type { OutboxEventInput } from "./outbox.js";
import { PlanStore } from "./plan-store.js";
import { Reporter } from "./reporter.js";

const log = pino({ level: "silent" });
let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-reporter-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

class FakeOutbox {
  readonly events: OutboxEventInput[] = [];
  failing = false;

  appendMany(inputs: readonly OutboxEventInput[]): Promise<number[]> {
    if (this.failing) return Promise.reject(new Error("disk full"));
    this.events.push(...inputs);
    return Promise.resolve(inputs.map((_, i) => this.events.length - inputs.length + i + 1));
  }
}

async function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 6));
  const plans = new PlanStore({ fs: new NodeDurableFs(), dir, clock, log });
  await plans.open();
  const outbox = new FakeOutbox();
  const reporter = new Reporter({ plans, outbox, log });
  return { clock, plans, outbox, reporter };
}

const AT = "2026-01-01T06:00:00.000Z";

describe("Reporter", () => {
  it("moves the play's state, then stores its events, then marks them reported", async () => {
    const { plans, outbox, reporter } = await setup();
    void reporter.report({ type: "play_started", playId: "p:1", at: AT, startedAt: "2026-01-01T06:00:00.004Z", late: true, lateMs: 4 });
    void reporter.report({ type: "play_finished", playId: "p:1", playedMs: 1000 });
    void reporter.report({ type: "amp_fault", code: "unreachable", detail: "x".repeat(900) });
    await reporter.idle();
    expect(outbox.events.map((e) => e.type)).toEqual(["play_started", "play_finished", "amp_fault"]);
    expect(outbox.events[0]).toEqual({ type: "play_started", playId: "p:1", at: AT, startedAt: "2026-01-01T06:00:00.004Z", late: true, lateMs: 4 });
    expect(String(outbox.events[2]?.detail).length).toBe(500);
    expect(plans.play("p:1")).toMatchObject({ status: "finished", reported: "finished", playedMs: 1000 });
    expect(plans.unreported()).toEqual([]);
  });

  it("an event the outbox could not store stays unreported and is reported by recover() (never lost)", async () => {
    const { plans, outbox, reporter } = await setup();
    outbox.failing = true;
    await reporter.report({ type: "play_failed", playId: "p:2", reason: "media_not_ready" });
    expect(plans.play("p:2")).toMatchObject({ status: "failed", reported: null });
    outbox.failing = false;
    expect(await reporter.recover()).toBe(1);
    expect(outbox.events).toEqual([{ type: "play_failed", playId: "p:2", reason: "media_not_ready" }]);
    expect(plans.unreported()).toEqual([]);
  });

  it("does not report a second final state of the same play", async () => {
    const { outbox, reporter } = await setup();
    await reporter.report({ type: "play_missed", playId: "p:3" });
    await reporter.report({ type: "play_failed", playId: "p:3", reason: "queue_timeout" });
    expect(outbox.events.map((e) => e.type)).toEqual(["play_missed"]);
  });

  it("after a crash mid-play, recover() reports the play as failed with the reason", async () => {
    const first = await setup();
    await first.reporter.report({ type: "play_started", playId: "p:4", at: AT, startedAt: AT });
    const again = await setup();
    expect(await again.reporter.recover()).toBe(1);
    expect(again.outbox.events).toEqual([{ type: "play_failed", playId: "p:4", reason: "agent_restarted_during_play" }]);
  });
});
