/**
 * The fleet's control interface: HTTP with JSON on 127.0.0.1 only (docs/simulator.md lists the routes).
 * `:id` is a device id or `all`. Tests and operators use it to cut networks, pull the plug, inject amplifier
 * faults and clock skew, and read what each receiver really played and when.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { bodyBoolean, bodyString, listenLoopback, readJsonBody, sendReply, type JsonBody, type LoopbackHttpServer } from "../control/http-json.js";
import { SIM_FAULT_NAMES } from "../core/faults.js";
import { FleetControlError, type Fleet } from "./fleet.js";
import { formatSummary } from "./summary.js";

const MAX_BODY = 16 * 1024;

export const FLEET_CONTROL_HELP = `loa-sim fleet control (JSON over HTTP; :id is a device id or "all")
GET  /receivers                    every receiver: status, online, network, playing, faults, skew, measured offset
GET  /receivers/:id                one receiver with its amplifier's state
GET  /summary                      counts, and the one-line summary
GET  /plays[?deviceId=&playId=&since=EPOCH_MS]
                                   what was played: real start time (machine clock), length, status
POST /receivers/:id/offline        cut the receiver's network (reconnects refused until online)
POST /receivers/:id/online         give it back
POST /receivers/:id/kill           power cut: network gone, agent stopped, amplifier off
POST /receivers/:id/start          power back / start: a new boot over the same data directory
POST /receivers/:id/fault          {"name": "${SIM_FAULT_NAMES.join("|")}", "on": true|false}
POST /receivers/:id/clear          clear every amplifier fault
POST /receivers/:id/skew           {"ms": N}: the receiver's clock runs N ms ahead (negative: behind)
`;

export type FleetControlServer = LoopbackHttpServer;

const invalid = (message: string): Error => new FleetControlError("control_invalid", message);

export function startFleetControl(fleet: Fleet, port: number): Promise<FleetControlServer> {
  return listenLoopback((req, res) => handle(fleet, req, res), port);
}

type Body = JsonBody;

async function handle(fleet: Fleet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const body = method === "POST" ? await readJsonBody(req, MAX_BODY, invalid) : {};
    const result = await route(fleet, method, url, body);
    if (result === undefined) return send(res, 404, { error: `no route ${method} ${url.pathname}; GET / lists them`, code: "not_found" });
    send(res, 200, result);
  } catch (err) {
    if (err instanceof FleetControlError) send(res, err.status, { error: err.message, code: err.code });
    else send(res, 500, { error: err instanceof Error ? err.message : String(err), code: "internal" });
  }
}

/** The reply for a request, or undefined for an unknown route. */
export async function route(fleet: Fleet, method: string, url: URL, body: Body): Promise<unknown> {
  const path = url.pathname.replace(/\/+$/, "") || "/";
  if (method === "GET") return getRoute(fleet, path, url.searchParams);
  const m = /^\/receivers\/([^/]+)\/([a-z]+)$/.exec(path);
  if (method !== "POST" || !m) return undefined;
  const target = decodeURIComponent(m[1] ?? "");
  switch (m[2]) {
    case "offline":
      return { items: fleet.offline(target) };
    case "online":
      return { items: fleet.online(target) };
    case "kill":
      return { items: await fleet.kill(target) };
    case "start":
      return { items: await fleet.start(target) };
    case "fault":
      return { items: fleet.fault(target, str(body, "name"), bool(body, "on")) };
    case "clear":
      return { items: fleet.clearFaults(target) };
    case "skew":
      return { items: fleet.skew(target, num(body, "ms")) };
    default:
      return undefined;
  }
}

function getRoute(fleet: Fleet, path: string, q: URLSearchParams): unknown {
  if (path === "/" || path === "/help") return FLEET_CONTROL_HELP;
  if (path === "/receivers") return { items: fleet.list() };
  if (path === "/summary") {
    const s = fleet.summary();
    return { ...s, line: formatSummary(s) };
  }
  if (path === "/plays") {
    const since = q.get("since");
    if (since !== null && !/^\d+$/.test(since)) throw new FleetControlError("control_invalid", "since must be epoch milliseconds");
    return {
      items: fleet.plays({
        ...(q.get("deviceId") ? { deviceId: q.get("deviceId") ?? "" } : {}),
        ...(q.get("playId") ? { playId: q.get("playId") ?? "" } : {}),
        ...(since !== null ? { since: Number(since) } : {}),
      }),
    };
  }
  const m = /^\/receivers\/([^/]+)$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1] ?? "");
    const [r] = fleet.select(id);
    if (!r || id === "all") return { items: fleet.list() };
    return { receiver: fleet.view(r), amp: fleet.amp(id) };
  }
  return undefined;
}

function send(res: ServerResponse, status: number, data: unknown): void {
  sendReply(res, status, data);
}

function str(body: Body, key: string): string {
  return bodyString(body, key, invalid);
}

function bool(body: Body, key: string): boolean {
  return bodyBoolean(body, key, invalid);
}

function num(body: Body, key: string): number {
  const v = body[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new FleetControlError("control_invalid", `"${key}" must be a number`);
  return v;
}
