/**
 * Test harness for the HTTP layer: a seeded catalogue, the app on 127.0.0.1 port 0, and a tiny fetch client.
 * Seeded tree: province P > district D > communes C1, C2 > villages V1 (in C1), V2 (in C2); users of every
 * role at several levels, all with password PASSWORD.
 */
import { FakeClock, type Area, type DeviceCommandBody, type DeviceCommandType, type Role, type User } from "@loa/shared";
import { pino } from "pino";
import { hashPassword, type ScryptCost } from "../core/auth/password.js";
import { newDeviceToken } from "../core/auth/device-tokens.js";
import type { CommandIssuer, CommandState, DeviceCommands } from "../ports/device-commands.js";
import type { DeviceHealth, DeviceLive } from "../ports/devices-live.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../adapters/store/index.js";
import type { Catalog, Journal } from "../ports/store.js";
import type { RouteEntry } from "./api-router.js";
import { createHttpApp, type HttpAppDeps } from "./app.js";
import type { HttpConfig } from "./config.js";
import { startHttpServer } from "./server.js";

export const PASSWORD = "correct horse battery";
/** Cheap scrypt for tests: the format and the compare are the same as in production. */
export const TEST_COST: ScryptCost = { N: 1024, r: 8, p: 1 };

export const AREAS: Area[] = [
  { id: "P", name: "Tỉnh Thử", parentId: null, kind: "province" },
  { id: "D", name: "Huyện Một", parentId: "P", kind: "district" },
  { id: "C1", name: "Xã Một", parentId: "D", kind: "commune" },
  { id: "C2", name: "Xã Hai", parentId: "D", kind: "commune" },
  { id: "V1", name: "Thôn Một", parentId: "C1", kind: "village" },
  { id: "V2", name: "Thôn Hai", parentId: "C2", kind: "village" },
];

const SEED_USERS: ReadonlyArray<[id: string, role: Role, areaId: string]> = [
  ["root", "admin", "P"],
  ["c1admin", "admin", "C1"],
  ["c1staff", "staff", "C1"],
  ["c1op", "operator", "C1"],
  ["c2admin", "admin", "C2"],
  ["c2staff", "staff", "C2"],
  ["c2op", "operator", "C2"],
];

export class FakeDeviceLive implements DeviceLive {
  readonly healths = new Map<string, DeviceHealth>();
  readonly revoked: string[] = [];
  health(id: string): DeviceHealth | undefined {
    return this.healths.get(id);
  }
  revoke(id: string): void {
    this.revoked.push(id);
  }
}

export class FakeDeviceCommands implements DeviceCommands {
  readonly sent: Array<{ deviceId: string; type: DeviceCommandType; args: DeviceCommandBody["args"]; by: CommandIssuer }> = [];
  readonly states = new Map<string, CommandState>();
  constructor(private readonly clock: FakeClock) {}
  send(deviceId: string, type: DeviceCommandType, args: DeviceCommandBody["args"], by: CommandIssuer): Promise<string> {
    const cmdId = `cmd_${this.sent.length + 1}`;
    this.sent.push({ deviceId, type, args, by });
    const now = this.clock.now();
    this.states.set(cmdId, { cmdId, deviceId, type, status: "pending", createdAt: now, expiresAt: now + 60_000 });
    return Promise.resolve(cmdId);
  }
  get(deviceId: string, cmdId: string): CommandState | undefined {
    const s = this.states.get(cmdId);
    return s && s.deviceId === deviceId ? s : undefined;
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined. */
  json: unknown;
}

/** The reply's JSON read as `T` (tests check the values they use). */
export function bodyOf<T>(r: Pick<Reply, "json">): T {
  return r.json as T;
}

export interface RequestOpts {
  cookie?: string;
  bearer?: string;
  body?: unknown;
  /** Sent as is (for malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  url: string;
  clock: FakeClock;
  catalog: Catalog;
  journal: Journal;
  live: FakeDeviceLive;
  commands: FakeDeviceCommands;
  users: Record<string, User>;
  dataDir: string;
  /** The app's route table. */
  routes: readonly RouteEntry[];
  req(method: string, path: string, opts?: RequestOpts): Promise<Reply>;
  /** Log in as a seeded user; returns the Cookie header value. */
  login(username: string): Promise<string>;
  /** Seed a device directly in the catalogue. */
  addDevice(id: string, areaId: string): Promise<{ token: string }>;
  /** Stop and clean up; `keepData` leaves the data directory for a restart. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

async function seedUsers(catalog: Catalog, clock: FakeClock): Promise<Record<string, User>> {
  const hash = await hashPassword(PASSWORD, TEST_COST);
  const users: Record<string, User> = {};
  for (const [name, role, areaId] of SEED_USERS) {
    users[name] = { id: `u_${name}`, username: name, passwordHash: hash, role, areaId, createdAt: new Date(clock.now()).toISOString() };
  }
  await catalog.update((d) => {
    d.areas.push(...structuredClone(AREAS));
    d.users.push(...Object.values(users));
  });
  return users;
}

export interface HarnessOptions {
  config?: Partial<HttpConfig>;
  /** Reopen an existing data directory (a restart); it is then left for its owner to delete. */
  dataDir?: string;
  withPorts?: boolean;
  routes?: HttpAppDeps["routes"];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 8));
  // The real durable store (lowdb catalogue + JSONL journal) in a temp dir.
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "loa-http-")));
  const store = await openStore({ dataDir, clock });
  const { catalog, journal } = store;
  const users = opts.dataDir ? Object.fromEntries(catalog.data().users.map((u) => [u.username, u])) : await seedUsers(catalog, clock);
  const live = new FakeDeviceLive();
  const commands = new FakeDeviceCommands(clock);
  const withPorts = opts.withPorts ?? true;
  const http = createHttpApp({
    catalog,
    journal,
    clock,
    log: pino({ level: "silent" }),
    config: { publicMqttUrl: "mqtt://loa.test:1883", passwordCost: TEST_COST, validateResponses: true, ...opts.config },
    ...(withPorts ? { deviceLive: live, deviceCommands: commands } : {}),
    ...(opts.routes ? { routes: opts.routes } : {}),
  });
  const server = await startHttpServer(http.app, 0, "127.0.0.1");
  const req = (method: string, path: string, o: RequestOpts = {}) => request(server.url, method, path, o);
  return {
    url: server.url,
    clock,
    catalog,
    journal,
    live,
    commands,
    users,
    routes: http.routes,
    req,
    login: async (username) => {
      const r = await req("POST", "/api/v1/auth/login", { body: { username, password: PASSWORD } });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
      return cookieOf(r);
    },
    addDevice: async (id, areaId) => {
      const { token, tokenHash } = newDeviceToken();
      await catalog.update((d) => {
        d.devices.push({ id, name: `Loa ${id}`, areaId, profile: "loa-amp-v1", tokenHash, createdAt: new Date(clock.now()).toISOString() });
      });
      return { token };
    },
    dataDir,
    close: async (closeOpts = {}) => {
      await server.close();
      await http.close();
      await store.close();
      if (!opts.dataDir && !closeOpts.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function cookieOf(r: Reply): string {
  const set = r.headers.get("set-cookie") ?? "";
  return set.split(";")[0] ?? "";
}

async function request(base: string, method: string, path: string, o: RequestOpts): Promise<Reply> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.cookie) headers.cookie = o.cookie;
  if (o.bearer !== undefined) headers.authorization = `Bearer ${o.bearer}`;
  let body: string | undefined;
  if (o.rawBody !== undefined) body = o.rawBody;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
  return replyOf(await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) }));
}

/** A fetch response as a Reply: `json` is the parsed body, or undefined when it is empty or not JSON. */
export async function replyOf(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** `login` remembered per user, so a suite logs each user in once and reuses the cookie. */
export function loginOnce(login: (username: string) => Promise<string>): (username: string) => Promise<string> {
  const cookies = new Map<string, string>();
  return async (username) => {
    const known = cookies.get(username);
    if (known) return known;
    const c = await login(username);
    cookies.set(username, c);
    return c;
  };
}
