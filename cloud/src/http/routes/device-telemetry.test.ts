import { FakeClock, examples } from "@loa/shared";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelemetryHistory } from "../../core/telemetry-history.js";
import { MemoryJournal } from "../../testing/memory-store.js";
import { bodyOf, startHarness, type Harness } from "../harness.fixture.js";
import { deviceTelemetryRoutes } from "./device-telemetry.js";

const T0 = Date.UTC(2026, 0, 1, 8);
let h: Harness;
let history: TelemetryHistory;
let clock: FakeClock;

interface Body {
  deviceId: string;
  items: Array<{ at: string; volume: number | null; ampTempC: number | null; cpuTempC: number | null; clockOffsetMs: number | null }>;
}

beforeEach(async () => {
  clock = new FakeClock(T0);
  history = new TelemetryHistory({ journal: new MemoryJournal(), clock, log: pino({ level: "silent" }) });
  h = await startHarness({ routes: [deviceTelemetryRoutes(history)] });
  await h.addDevice("dev_v1", "V1");
  await h.addDevice("dev_v2", "V2");
  // dev_v1: one sample a minute for 10 minutes before now, volume = minute.
  for (let m = 10; m >= 1; m--) history.onTelemetry("dev_v1", { ...examples.telemetry, amp: { ...examples.telemetry.amp, volume: 10 - m } }, T0 - m * 60_000);
  history.onTelemetry("dev_v2", examples.telemetry, T0 - 1000);
});
afterEach(async () => {
  await h.close();
});

const path = (id: string, q = "") => `/api/v1/devices/${id}/telemetry${q}`;

describe("GET /api/v1/devices/:id/telemetry", () => {
  it("answers the device's samples oldest first, with the cloud's receive time", async () => {
    const r = await h.req("GET", path("dev_v1"), { cookie: await h.login("c1op") });
    expect(r.status).toBe(200);
    const b = bodyOf<Body>(r);
    expect(b.deviceId).toBe("dev_v1");
    expect(b.items.map((p) => p.volume)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.items[0]).toEqual({ at: new Date(T0 - 10 * 60_000).toISOString(), volume: 0, ampTempC: 41.5, cpuTempC: 48.3, clockOffsetMs: -3 });
  });

  it("takes since and limit: the newest `limit` samples at or after `since`", async () => {
    const cookie = await h.login("c1op");
    const since = encodeURIComponent(new Date(T0 - 5 * 60_000).toISOString());
    expect(bodyOf<Body>(await h.req("GET", path("dev_v1", `?since=${since}`), { cookie })).items.map((p) => p.volume)).toEqual([5, 6, 7, 8, 9]);
    expect(bodyOf<Body>(await h.req("GET", path("dev_v1", "?limit=3"), { cookie })).items.map((p) => p.volume)).toEqual([7, 8, 9]);
    expect(bodyOf<Body>(await h.req("GET", path("dev_v1", `?since=${since}&limit=2`), { cookie })).items.map((p) => p.volume)).toEqual([8, 9]);
    // Another zone's offset is the same instant.
    const plus7 = encodeURIComponent("2026-01-01T14:55:00+07:00");
    expect(bodyOf<Body>(await h.req("GET", path("dev_v1", `?since=${plus7}`), { cookie })).items).toHaveLength(5);
  });

  it("answers an empty list for a device that sent nothing, and the last 6 hours only by default", async () => {
    const cookie = await h.login("root");
    await h.addDevice("dev_quiet", "V1");
    expect(bodyOf<Body>(await h.req("GET", path("dev_quiet"), { cookie })).items).toEqual([]);
    await clock.advance(6 * 3600_000 - 5 * 60_000 + 1);
    expect(bodyOf<Body>(await h.req("GET", path("dev_v1"), { cookie })).items.map((p) => p.volume)).toEqual([6, 7, 8, 9]);
  });

  it("is scoped like GET /devices/:id: 404 outside the caller's area or for an unknown id, 401 without a session", async () => {
    expect((await h.req("GET", path("dev_v1"), { cookie: await h.login("c2op") })).status).toBe(404);
    expect((await h.req("GET", path("dev_v2"), { cookie: await h.login("c2staff") })).status).toBe(200);
    expect((await h.req("GET", path("dev_nope"), { cookie: await h.login("root") })).status).toBe(404);
    expect((await h.req("GET", path("dev_v1"))).status).toBe(401);
  });

  it("refuses a bad query with 422", async () => {
    const cookie = await h.login("root");
    for (const q of ["?since=yesterday", "?since=2026-01-01", "?limit=0", "?limit=721", "?limit=abc", "?limit=1.5", "?from=2026-01-01T00:00:00Z"]) {
      const r = await h.req("GET", path("dev_v1", q), { cookie });
      expect(r.status, q).toBe(422);
      expect(r.json, q).toMatchObject({ code: "invalid_query" });
    }
    expect((await h.req("GET", path("dev_v1", "?limit=720"), { cookie })).status).toBe(200);
  });

  it("is in the OpenAPI document", async () => {
    const doc = bodyOf<{ paths: Record<string, Record<string, unknown>> }>(await h.req("GET", "/api/v1/openapi.json"));
    expect(Object.keys(doc.paths["/api/v1/devices/{id}/telemetry"] ?? {})).toEqual(["get"]);
  });
});
