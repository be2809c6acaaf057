/**
 * `GET /api/v1/stream` (ARCHITECTURE §7 SSE) on the HTTP harness: scoping by subtree (devices and
 * broadcasts), the initial snapshot, heartbeats on the injected clock, a disabled user's stream ending, and
 * a slow reader dropped instead of buffered without bound.
 */
import { request } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openSse, waitFor } from "../../../test/support/cloud-process.js";
import { LiveFeed } from "../core/live-feed.js";
import type { DeviceSnapshot } from "../core/presence.js";
import { startHarness, type Harness } from "./harness.fixture.js";
import { streamRoutes, type StreamRoutesDeps } from "./routes/stream.js";

let h: Harness | undefined;
const streams: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await h?.close();
  h = undefined;
});

async function setup(over: Partial<StreamRoutesDeps> = {}): Promise<{ h: Harness; feed: LiveFeed; drops: number[] }> {
  const feed = new LiveFeed(pino({ level: "silent" }));
  const drops: number[] = [];
  const snapshot: DeviceSnapshot = { deviceId: "dev_v1", online: true, lastSeen: Date.UTC(2026, 0, 1), changedAt: null, bootSeenAt: null, telemetry: null, faults: [] };
  h = await startHarness({ routes: [streamRoutes({ feed, presence: { snapshots: () => [snapshot, { ...snapshot, deviceId: "dev_v2" }] }, onDrop: () => void drops.push(1), ...over })] });
  await h.addDevice("dev_v1", "V1");
  await h.addDevice("dev_v2", "V2");
  await h.catalog.update((d) => {
    d.broadcasts.push({ id: "bc_c2", bulletinId: "bul_x", targets: { areaIds: ["C2"], deviceIds: [] }, priority: "normal", when: { now: true }, status: "active", areaId: "C2", createdBy: "u_c2staff", createdAt: "2026-01-01T00:00:00.000Z" });
  });
  return { h, feed, drops };
}

async function sse(harness: Harness, user: string) {
  const s = await openSse(`${harness.url}/api/v1/stream`, { cookie: await harness.login(user) });
  streams.push(s);
  return s;
}

describe("GET /api/v1/stream", () => {
  it("401 without a login", async () => {
    const { h } = await setup();
    expect((await h.req("GET", "/api/v1/stream")).status).toBe(401);
  });

  it("starts with retry and the presence of the caller's own devices, then only events of its subtree", async () => {
    const { h, feed } = await setup();
    const c1 = await sse(h, "c1op");
    const root = await sse(h, "root");
    await waitFor(() => (c1.raw().includes("retry: 3000") ? true : undefined), "retry hint");
    await waitFor(() => (root.events.length >= 2 ? true : undefined), "root snapshot");
    expect(c1.events.map((e) => [e.event, (e.data as { deviceId: string }).deviceId, (e.data as { initial?: boolean }).initial])).toEqual([["presence", "dev_v1", true]]);
    feed.publish({ type: "health", deviceId: "dev_v2", data: { deviceId: "dev_v2", state: "online" } });
    feed.publish({ type: "play", broadcastId: "bc_c2", data: { playId: "bc_c2:1", status: "started" } });
    feed.publish({ type: "command", deviceId: "dev_v1", data: { cmdId: "cmd_1", status: "ok" } });
    feed.publish({ type: "fault", deviceId: "dev_gone", data: { deviceId: "dev_gone" } });
    await waitFor(() => (c1.events.some((e) => e.event === "command") ? true : undefined), "c1's command event");
    await waitFor(() => (root.events.some((e) => e.event === "command") ? true : undefined), "root's command event");
    expect(c1.events.slice(1).map((e) => e.event)).toEqual(["command"]);
    expect(root.events.slice(2).map((e) => e.event)).toEqual(["health", "play", "command"]);
    expect(root.events.slice(2).map((e) => Number(e.id))).toEqual([1, 2, 3]);
  });

  it("a comment every heartbeat; a user disabled meanwhile has the stream ended at the next one", async () => {
    const { h } = await setup({ heartbeatMs: 15_000 });
    const s = await sse(h, "c1op");
    await waitFor(() => (s.raw().includes(": connected") ? true : undefined), "connected");
    await h.clock.advance(15_000);
    await waitFor(() => (s.raw().includes(": ping") ? true : undefined), "a heartbeat");
    await h.catalog.update((d) => {
      const u = d.users.find((x) => x.username === "c1op");
      if (u) u.disabled = true;
    });
    const before = s.raw().length;
    await h.clock.advance(15_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.raw().length).toBe(before);
  });

  it("a client that does not read is dropped once its buffer passes the bound", async () => {
    const { h, feed, drops } = await setup({ maxBufferBytes: 64 * 1024 });
    const cookie = await h.login("root");
    const url = new URL(`${h.url}/api/v1/stream`);
    // A raw request whose response is never read: the socket's buffers fill up.
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie } });
    const res = await new Promise<import("node:http").IncomingMessage>((resolve) => req.on("response", resolve).end());
    res.pause();
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 400 && drops.length === 0; i++) {
      feed.publish({ type: "command", deviceId: "dev_v1", data: { big } });
      await new Promise((r) => setImmediate(r));
    }
    expect(drops).toEqual([1]);
    expect(feed.subscribers).toBe(0);
    res.destroy();
  });
});
