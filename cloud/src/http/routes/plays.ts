/**
 * The proof of play (ARCHITECTURE §2 Play, §7 `GET /api/v1/plays`): every play of every device in the
 * caller's subtree, filtered by broadcast, device, area, status and time, newest first, in pages with an
 * opaque cursor. Every role with `plays.read` (all of them) reads inside its subtree.
 */
import { PlayList, PlayListQuery } from "@loa/shared";
import type { DeliveryApi } from "../../delivery/api.js";
import { viewOf } from "../../delivery/play-index.js";
import { boundOf, pageOf, selectPlays, type PlayFilter } from "../../delivery/play-query.js";
import type { RouteModule } from "../app.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";

export function playRoutes(d: DeliveryApi): RouteModule {
  return (api) => {
    api.add({
      method: "get",
      path: "/api/v1/plays",
      summary: "Plays (one occurrence on one device) newest first; filters broadcastId, deviceId, areaId (subtree), status, from/to (day or ISO time, on `at`); paged by cursor",
      tag: "plays",
      query: PlayListQuery,
      responses: { 200: { description: "one page; nextCursor null on the last", schema: PlayList }, ...AUTH_ERRORS, 404: PROBLEM("areaId unknown or outside your area"), 422: PROBLEM("invalid filter or cursor") },
      handler: (call) => {
        call.requirePermission("plays.read");
        const q = call.query;
        const filter: PlayFilter = { areaIds: call.listScope("plays.read", q.areaId) };
        if (q.broadcastId !== undefined) filter.broadcastId = q.broadcastId;
        if (q.deviceId !== undefined) filter.deviceId = q.deviceId;
        if (q.status !== undefined) filter.status = q.status;
        if (q.from !== undefined) filter.fromMs = boundOf(q.from, d.tz, "from");
        if (q.to !== undefined) filter.toMs = boundOf(q.to, d.tz, "to");
        const page = pageOf(selectPlays(d.book.index, filter), q.cursor, q.limit);
        return { status: 200, body: { items: page.items.map(viewOf), nextCursor: page.nextCursor } };
      },
    });
  };
}
