/**
 * The proof-of-play report (ARCHITECTURE §7 `GET /api/v1/reports/plays.csv`): the plays of the caller's
 * subtree (or of `areaId`'s) whose time falls in `from`..`to`, oldest first, as CSV for Excel —
 * Vietnamese headers by default (`lang=en` for English), times on each area's clock, UTF-8 with a BOM.
 */
import { DEFAULT_TZ, PlaysCsvQuery } from "@loa/shared";
import { AreaIndex } from "../../core/areas.js";
import type { DeliveryApi } from "../../delivery/api.js";
import { boundOf, selectPlays, type PlayFilter } from "../../delivery/play-query.js";
import { playsCsv, type CsvLookups } from "../../delivery/plays-csv.js";
import type { RouteContext } from "../api-router.js";
import type { RouteModule } from "../app.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";

export function reportRoutes(d: DeliveryApi): RouteModule {
  return (api, ctx) => {
    api.add({
      method: "get",
      path: "/api/v1/reports/plays.csv",
      summary: "Proof-of-play report as CSV (UTF-8 with BOM): from/to (day or ISO time), areaId, broadcastId, lang=vi|en",
      tag: "plays",
      query: PlaysCsvQuery,
      responses: { 200: { description: "the report", contentType: "text/csv" }, ...AUTH_ERRORS, 404: PROBLEM("areaId unknown or outside your area"), 422: PROBLEM("invalid filter") },
      handler: (call) => {
        call.requirePermission("plays.read");
        const q = call.query;
        const filter: PlayFilter = { areaIds: call.listScope("plays.read", q.areaId) };
        if (q.broadcastId !== undefined) filter.broadcastId = q.broadcastId;
        if (q.from !== undefined) filter.fromMs = boundOf(q.from, d.tz, "from");
        if (q.to !== undefined) filter.toMs = boundOf(q.to, d.tz, "to");
        const records = selectPlays(d.book.index, filter).reverse();
        const csv = playsCsv(records, q.lang, lookups(ctx, d.tz));
        const name = `plays-${(q.from ?? "all").slice(0, 10)}${q.to ? `-${q.to.slice(0, 10)}` : ""}.csv`;
        call.res
          .status(200)
          .setHeader("Content-Type", "text/csv; charset=utf-8")
          .setHeader("Content-Disposition", `attachment; filename="${name}"`)
          .setHeader("Cache-Control", "no-store")
          .send(Buffer.from(csv, "utf8"));
        return undefined;
      },
    });
  };
}

function lookups(ctx: RouteContext, serverTz: string): CsvLookups {
  const data = ctx.catalog.data();
  const bulletins = new Map(data.bulletins.map((b) => [b.id, b.title]));
  const broadcasts = new Map(data.broadcasts.map((b) => [b.id, b.bulletinId]));
  const devices = new Map(data.devices.map((x) => [x.id, x.name]));
  const areas = new AreaIndex(data.areas);
  const zones = new Map<string, string>();
  const tzOf = (areaId: string): string => {
    const known = zones.get(areaId);
    if (known) return known;
    // The area's own zone, else the nearest ancestor's, else the server's (ARCHITECTURE §2 default).
    const zone = areas.ancestry(areaId).find((a) => a.tz !== undefined)?.tz ?? (serverTz || DEFAULT_TZ);
    zones.set(areaId, zone);
    return zone;
  };
  return {
    bulletinTitle: (broadcastId) => bulletins.get(broadcasts.get(broadcastId) ?? ""),
    deviceName: (deviceId) => devices.get(deviceId),
    areaName: (areaId) => areas.get(areaId)?.name,
    tzOf,
  };
}
