/**
 * A stand-in for the cloud's device and area routes (ARCHITECTURE §7; the shapes of shared/src/api), on
 * 127.0.0.1, for the fleet's provisioning tests. Records every request so tests can check what was called.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeArea {
  id: string;
  name: string;
  parentId: string | null;
  kind: "province" | "district" | "commune" | "village";
}

export interface FakeDevice {
  id: string;
  name: string;
  areaId: string;
  profile: string;
  token: string;
}

export interface FakeCloud {
  url: string;
  token: string;
  areas: FakeArea[];
  devices: FakeDevice[];
  calls: string[];
  close(): Promise<void>;
}

const NOW = "2026-01-01T00:00:00.000Z";

function view(d: FakeDevice): Record<string, unknown> {
  return {
    id: d.id, name: d.name, areaId: d.areaId, profile: d.profile, createdAt: NOW, state: "offline",
    health: { online: false, lastSeenAt: null, telemetry: null, faults: [] },
  };
}

function edgeConfig(d: FakeDevice): Record<string, unknown> {
  return { deviceId: d.id, token: d.token, mqttUrl: "mqtt://127.0.0.1:1883", prefix: "loa/v1", profile: d.profile, tz: "Asia/Ho_Chi_Minh" };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const problem = status >= 400;
  res.writeHead(status, { "content-type": problem ? "application/problem+json" : "application/json" });
  res.end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req as AsyncIterable<Buffer>) text += chunk.toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * `GET /api/v1/devices` paged as the cloud pages it (`limit`, default 100, and an opaque cursor; here the
 * cursor is an offset); `pageMax` caps a page lower than the cloud's 1000, so tests walk several pages.
 */
function devicePage(devices: FakeDevice[], q: URLSearchParams, pageMax = 1000): Record<string, unknown> {
  const limit = Math.min(Number(q.get("limit") ?? 100), pageMax);
  const start = Number(q.get("cursor") ?? 0);
  const end = start + limit;
  return { items: devices.slice(start, end).map(view), nextCursor: end < devices.length ? String(end) : null, total: devices.length };
}

export async function startFakeCloud(areas: FakeArea[], opts: { pageMax?: number } = {}): Promise<FakeCloud> {
  const state = { areas, devices: [] as FakeDevice[], calls: [] as string[], seq: 0, token: "loa_test-token" };
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    state.calls.push(`${req.method ?? ""} ${path}`);
    if (req.headers.authorization !== `Bearer ${state.token}`) return send(res, 401, { code: "unauthorized", detail: "bad token" });
    if (req.method === "GET" && path === "/api/v1/areas") return send(res, 200, { items: state.areas });
    if (req.method === "GET" && path === "/api/v1/devices") return send(res, 200, devicePage(state.devices, new URL(req.url ?? "/", "http://x").searchParams, opts.pageMax));
    if (req.method === "POST" && path === "/api/v1/devices") {
      const b = await bodyOf(req);
      if (state.devices.some((d) => d.areaId === b["areaId"] && d.name === b["name"])) return send(res, 409, { code: "conflict", detail: "name taken" });
      const d = { id: `dev_${++state.seq}`, name: String(b["name"]), areaId: String(b["areaId"]), profile: String(b["profile"] ?? "loa-amp-v1"), token: `tok_${state.seq}` };
      state.devices.push(d);
      return send(res, 201, { device: view(d), token: d.token, edgeConfig: edgeConfig(d) });
    }
    const rot = /^\/api\/v1\/devices\/([^/]+)\/token$/.exec(path);
    if (req.method === "POST" && rot) {
      const d = state.devices.find((x) => x.id === rot[1]);
      if (!d) return send(res, 404, { code: "device_not_found", detail: "no such device" });
      d.token = `tok_${++state.seq}`;
      return send(res, 200, { deviceId: d.id, token: d.token, edgeConfig: edgeConfig(d) });
    }
    send(res, 404, { code: "not_found", detail: path });
  };
  const server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token: state.token,
    get areas() {
      return state.areas;
    },
    devices: state.devices,
    calls: state.calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Province > commune > two villages, plus a second commune without villages. */
export const TREE: FakeArea[] = [
  { id: "p1", name: "Tỉnh Thử", parentId: null, kind: "province" },
  { id: "c1", name: "Xã Một", parentId: "p1", kind: "commune" },
  { id: "v1", name: "Thôn Một", parentId: "c1", kind: "village" },
  { id: "v2", name: "Thôn Hai", parentId: "c1", kind: "village" },
  { id: "c2", name: "Xã Hai", parentId: "p1", kind: "commune" },
];
