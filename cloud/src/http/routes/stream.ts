/**
 * `GET /api/v1/stream` (ARCHITECTURE §7): Server-Sent Events with device presence and health, faults,
 * command results and play status, each user seeing only its own subtree. A new connection first gets the
 * current presence of its devices (`initial: true`), then live events; a comment every 15 s keeps proxies
 * from closing it; `retry:` tells the browser how soon to reconnect. Last-Event-ID is accepted and ignored
 * (there is no replay: the initial snapshot brings a reconnecting panel up to date).
 * A client that cannot keep up (its socket buffer passes the bound) is dropped rather than buffered forever.
 */
import type { Clock, TimerHandle, User } from "@loa/shared";
import type { Request, Response } from "express";
import { AreaIndex } from "../../core/areas.js";
import { can, inScope, type Action } from "../../core/auth/permissions.js";
import { presenceData, type LiveEvent, type LiveFeed } from "../../core/live-feed.js";
import type { DeviceSnapshot } from "../../core/presence.js";
import type { Catalog } from "../../ports/store.js";
import type { RouteModule } from "../app.js";
import type { RouteContext } from "../context.js";
import { AUTH_ERRORS } from "./docs.js";

export interface StreamRoutesDeps {
  feed: Pick<LiveFeed, "subscribe">;
  /** Current presence for the initial snapshot; absent = no snapshot. */
  presence?: { snapshots(): DeviceSnapshot[] };
  /** Comment line interval; default 15 s. */
  heartbeatMs?: number;
  /** Reconnect hint for EventSource; default 3 s. */
  retryMs?: number;
  /** Bytes a client may have waiting in its socket before it is dropped; default 1 MiB. */
  maxBufferBytes?: number;
  /** Told when a connection opens (+1) or closes (-1), and when a slow client is dropped. */
  onClient?: (delta: 1 | -1) => void;
  onDrop?: () => void;
}

/** Which permission lets a user see an event of this type. */
const NEEDS: Record<LiveEvent["type"], Action> = {
  presence: "devices.read",
  health: "devices.read",
  fault: "devices.read",
  command: "devices.read",
  play: "plays.read",
};

export function streamRoutes(deps: StreamRoutesDeps): RouteModule {
  return (api, ctx) => {
    api.add({
      method: "get",
      path: "/api/v1/stream",
      summary: "Live updates as Server-Sent Events: presence, health, fault, command, play (your subtree only)",
      tag: "stream",
      responses: { 200: { description: "an endless text/event-stream", contentType: "text/event-stream" }, ...AUTH_ERRORS },
      handler: (call) => {
        openStream(deps, ctx, call.req, call.res, call.actor.user);
        return undefined;
      },
    });
  };
}

/** id → areaId per catalogue collection; collections are replaced (never mutated) on change, so this never goes stale. */
const areaMaps = new WeakMap<readonly { id: string; areaId: string }[], Map<string, string>>();

function areaMapOf(list: readonly { id: string; areaId: string }[]): Map<string, string> {
  let m = areaMaps.get(list);
  if (!m) {
    m = new Map(list.map((x) => [x.id, x.areaId]));
    areaMaps.set(list, m);
  }
  return m;
}

/** The area of what an event is about, or undefined when that device/broadcast is gone. */
function areaOf(catalog: Pick<Catalog, "data">, e: LiveEvent): string | undefined {
  const data = catalog.data();
  if (e.deviceId !== undefined) return areaMapOf(data.devices).get(e.deviceId);
  if (e.broadcastId !== undefined) return areaMapOf(data.broadcasts).get(e.broadcastId);
  return undefined;
}

/** The feed hands every client the same event object: its frame is built once, not once per client. */
const frames = new WeakMap<LiveEvent, string>();

function frame(e: LiveEvent): string {
  let text = frames.get(e);
  if (text === undefined) {
    text = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
    frames.set(e, text);
  }
  return text;
}

class StreamClient {
  private index: { areas: unknown; index: AreaIndex } | undefined;
  private closed = false;
  private readonly timers: TimerHandle[] = [];
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly deps: StreamRoutesDeps,
    private readonly ctx: RouteContext,
    private readonly res: Response,
    private user: User,
  ) {}

  start(clock: Clock): void {
    const retry = this.deps.retryMs ?? 3000;
    this.res.status(200);
    this.res.set({ "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    this.res.flushHeaders();
    this.write(`retry: ${retry}\n: connected\n\n`);
    this.sendSnapshot();
    this.unsubscribe = this.deps.feed.subscribe((e) => this.onEvent(e));
    this.timers.push(clock.setInterval(() => this.heartbeat(), this.deps.heartbeatMs ?? 15_000));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers.splice(0)) t.cancel();
    this.deps.onClient?.(-1);
  }

  private sendSnapshot(): void {
    if (!can(this.user.role, "devices.read")) return;
    for (const s of this.deps.presence?.snapshots() ?? []) {
      const e: LiveEvent = { id: 0, type: "presence", deviceId: s.deviceId, data: { ...presenceData(s), initial: true } };
      if (this.visible(e)) this.write(`event: presence\ndata: ${JSON.stringify(e.data)}\n\n`);
    }
  }

  private onEvent(e: LiveEvent): void {
    if (this.visible(e)) this.write(frame(e));
  }

  private visible(e: LiveEvent): boolean {
    if (!can(this.user.role, NEEDS[e.type])) return false;
    const areaId = areaOf(this.ctx.catalog, e);
    if (areaId === undefined) return e.type === "presence" && e.data.removed === true && this.user.role === "admin" && this.isRoot();
    return inScope(this.areas(), this.user, areaId);
  }

  /** A deleted device has no area left to scope by: only admins at the root hear of its removal. */
  private isRoot(): boolean {
    return this.areas().get(this.user.areaId)?.parentId === null;
  }

  private areas(): AreaIndex {
    const areas = this.ctx.catalog.data().areas;
    if (this.index?.areas !== areas) this.index = { areas, index: new AreaIndex(areas) };
    return this.index.index;
  }

  /** Also re-reads the user: a disabled, deleted or moved user's stream ends (the panel reconnects and re-authenticates). */
  private heartbeat(): void {
    const now = this.ctx.catalog.data().users.find((u) => u.id === this.user.id);
    if (!now || now.disabled || now.role !== this.user.role || now.areaId !== this.user.areaId) {
      this.res.end();
      this.close();
      return;
    }
    this.user = now;
    this.write(": ping\n\n");
  }

  private write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    if (this.res.writableLength > (this.deps.maxBufferBytes ?? 1024 * 1024)) {
      this.ctx.log.warn({ userId: this.user.id, buffered: this.res.writableLength }, "SSE client too slow: dropped");
      this.deps.onDrop?.();
      this.close();
      this.res.destroy();
    }
  }
}

function openStream(deps: StreamRoutesDeps, ctx: RouteContext, req: Request, res: Response, user: User): void {
  const client = new StreamClient(deps, ctx, res, user);
  deps.onClient?.(1);
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.on("close", () => client.close());
  client.start(ctx.clock);
}
