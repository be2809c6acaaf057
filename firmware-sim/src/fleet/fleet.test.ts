// The fleet's commands and its HTTP control interface, over fake receivers and a recording network.
import { getProfile, SystemClock } from "@loa/shared";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AmpEngine } from "../core/amp-engine.js";
import type { SimFaultName } from "../core/faults.js";
import { FLEET_CONTROL_HELP, startFleetControl, type FleetControlServer } from "./control-http.js";
import { Fleet, type NetworkControl } from "./fleet.js";
import { PlayLog } from "./play-log.js";
import type { FleetReceiver, ReceiverStatus } from "./receiver.js";
import type { FleetReceiverRecord } from "./state-file.js";

class FakeReceiver implements FleetReceiver {
  status: ReceiverStatus = "stopped";
  online = false;
  playing = false;
  eventsSent = 0;
  skewMs = 0;
  clockOffsetMs: number | null = null;
  starts = 0;
  powerCuts = 0;
  token = "t0";
  failStart = false;
  readonly engine = new AmpEngine({ profile: getProfile("loa-amp-v1"), clock: new SystemClock() });
  constructor(
    readonly deviceId: string,
    readonly name: string,
    readonly areaId = "v1",
  ) {}
  faults(): SimFaultName[] {
    return this.engine.activeFaults();
  }
  amp() {
    return this.engine.state();
  }
  start(): Promise<void> {
    if (this.failStart) return Promise.reject(new Error("boom"));
    this.starts++;
    this.status = "running";
    this.online = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.status = "stopped";
    this.online = false;
    return Promise.resolve();
  }
  powerLost(): void {
    this.powerCuts++;
  }
  setSkew(ms: number): void {
    this.skewMs = ms;
  }
  setFault(name: SimFaultName, on: boolean): void {
    this.engine.setFault(name, on);
  }
  clearFaults(): void {
    this.engine.clearFaults();
  }
  update(record: FleetReceiverRecord): void {
    this.token = record.token;
  }
}

class RecordingNetwork implements NetworkControl {
  readonly cutIds = new Set<string>();
  cut(id: string): void {
    this.cutIds.add(id);
  }
  restore(id: string): void {
    this.cutIds.delete(id);
  }
}

const log = pino({ level: "silent" });
let rs: FakeReceiver[];
let net: RecordingNetwork;
let playLog: PlayLog;
let fleet: Fleet;
let control: FleetControlServer;
let rotations: string[];

beforeEach(async () => {
  rs = [new FakeReceiver("dev_a", "sim-001"), new FakeReceiver("dev_b", "sim-002"), new FakeReceiver("dev_c", "sim-003", "v2")];
  net = new RecordingNetwork();
  playLog = new PlayLog();
  rotations = [];
  fleet = new Fleet({
    receivers: rs, network: net, playLog, log,
    rotate: (id) => {
      rotations.push(id);
      return Promise.resolve({ deviceId: id, token: `new-${id}` } as FleetReceiverRecord);
    },
  });
  await fleet.startAll(0);
  control = await startFleetControl(fleet, 0);
});
afterEach(async () => {
  await control.close();
  await fleet.stopAll();
});

async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> & { items?: Record<string, unknown>[] } }> {
  const res = await fetch(`http://127.0.0.1:${control.port}${path}`, {
    method, ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : { text } };
}

describe("fleet control over HTTP", () => {
  it("lists receivers and the help", async () => {
    const list = await call("GET", "/receivers");
    expect(list.status).toBe(200);
    expect(list.json.items?.map((r) => [r["deviceId"], r["status"], r["online"], r["networkCut"], r["killed"]])).toEqual([
      ["dev_a", "running", true, false, false], ["dev_b", "running", true, false, false], ["dev_c", "running", true, false, false],
    ]);
    expect((await call("GET", "/")).json["text"]).toBe(FLEET_CONTROL_HELP);
    const one = await call("GET", "/receivers/dev_b");
    expect(one.json["receiver"]).toMatchObject({ deviceId: "dev_b", name: "sim-002" });
    expect(one.json["amp"]).toMatchObject({ profileId: "loa-amp-v1", faults: [] });
  });

  it("cuts and restores one receiver's network", async () => {
    const off = await call("POST", "/receivers/dev_a/offline");
    expect(off.json.items?.[0]).toMatchObject({ deviceId: "dev_a", networkCut: true });
    expect([...net.cutIds]).toEqual(["dev_a"]);
    await call("POST", "/receivers/dev_a/online");
    expect(net.cutIds.size).toBe(0);
  });

  it("kill is a power cut (network gone, agent stopped, amplifier unpowered); start boots it again", async () => {
    const a = rs[0] as FakeReceiver;
    const killed = await call("POST", "/receivers/dev_a/kill");
    expect(killed.json.items?.[0]).toMatchObject({ status: "stopped", killed: true, online: false });
    expect(a.powerCuts).toBe(1);
    expect(net.cutIds.has("dev_a")).toBe(true);
    // offline on top of kill: starting again must not restore the network the operator cut
    await call("POST", "/receivers/dev_a/offline");
    await call("POST", "/receivers/dev_a/start");
    expect(a.starts).toBe(2);
    expect(net.cutIds.has("dev_a")).toBe(true);
    await call("POST", "/receivers/dev_a/online");
    expect(net.cutIds.has("dev_a")).toBe(false);
    expect(fleet.summary()).toMatchObject({ killed: 0, cut: 0, running: 3 });
  });

  it("injects and clears amplifier faults on one receiver or all", async () => {
    await call("POST", "/receivers/dev_b/fault", { name: "over_temperature", on: true });
    expect(rs.map((r) => r.faults())).toEqual([[], ["over_temperature"], []]);
    const all = await call("POST", "/receivers/all/fault", { name: "no_response", on: true });
    expect(all.json.items).toHaveLength(3);
    expect(fleet.summary().faults).toBe(3);
    await call("POST", "/receivers/all/clear");
    expect(rs.every((r) => r.faults().length === 0)).toBe(true);
  });

  it("skews clocks", async () => {
    await call("POST", "/receivers/all/skew", { ms: -2500 });
    await call("POST", "/receivers/dev_c/skew", { ms: 1200.4 });
    expect(rs.map((r) => r.skewMs)).toEqual([-2500, -2500, 1200]);
  });

  it("serves the plays, filtered", async () => {
    playLog.add({ deviceId: "dev_a", playId: "brd_1:1000", startedAt: new Date(5000).toISOString(), startedAtMs: 5000, localStartedAtMs: 5000, status: "finished", playedMs: 100 });
    playLog.add({ deviceId: "dev_b", playId: "brd_1:1000", startedAt: new Date(5010).toISOString(), startedAtMs: 5010, localStartedAtMs: 7010, status: "playing" });
    playLog.add({ deviceId: "dev_b", playId: "brd_2:9000", startedAt: new Date(9000).toISOString(), startedAtMs: 9000, localStartedAtMs: 9000, status: "playing" });
    expect((await call("GET", "/plays")).json.items).toHaveLength(3);
    expect((await call("GET", "/plays?deviceId=dev_b")).json.items?.map((p) => p["playId"])).toEqual(["brd_1:1000", "brd_2:9000"]);
    expect((await call("GET", "/plays?playId=brd_1")).json.items?.map((p) => p["deviceId"])).toEqual(["dev_a", "dev_b"]);
    expect((await call("GET", "/plays?since=6000")).json.items).toHaveLength(1);
    expect((await call("GET", "/plays?since=soon")).status).toBe(400);
    const summary = await call("GET", "/summary");
    expect(summary.json).toMatchObject({ total: 3, online: 3, plays: 3, line: expect.stringContaining("fleet 3/3 online") as unknown });
  });

  it.each([
    ["POST", "/receivers/nope/kill", undefined, 404, /no receiver nope/],
    ["POST", "/receivers/dev_a/fault", { name: "melted", on: true }, 400, /unknown fault "melted"/],
    ["POST", "/receivers/dev_a/fault", { name: "fan_fault", on: "yes" }, 400, /"on" must be true or false/],
    ["POST", "/receivers/dev_a/skew", { ms: "1s" }, 400, /"ms" must be a number/],
    ["POST", "/receivers/dev_a/skew", { ms: 1e12 }, 400, /within ±7 days/],
    ["POST", "/receivers/dev_a/fault", "{not json", 400, /not JSON/],
    ["POST", "/receivers/dev_a/explode", {}, 404, /no route/],
    ["GET", "/nothing", undefined, 404, /no route/],
  ] as const)("%s %s answers %i with a reason", async (method, path, body, status, message) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(String(res.json["error"])).toMatch(message);
  });
});

describe("fleet", () => {
  it("a receiver that fails to start does not stop the others", async () => {
    const bad = new FakeReceiver("dev_x", "sim-009");
    bad.failStart = true;
    const f = new Fleet({ receivers: [bad, new FakeReceiver("dev_y", "sim-010")], network: new RecordingNetwork(), playLog: new PlayLog(), log });
    await f.startAll(10);
    expect(f.summary()).toMatchObject({ total: 2, running: 1, online: 1 });
    await f.stopAll();
  });

  it("stopAll during the start jitter starts nobody", async () => {
    const r = new FakeReceiver("dev_z", "sim-011");
    const f = new Fleet({ receivers: [r], network: new RecordingNetwork(), playLog: new PlayLog(), log, random: () => 0.99 });
    const started = f.startAll(60_000);
    await f.stopAll();
    await started;
    expect(r.starts).toBe(0);
  });

  it("rotates a refused token once per minute and restarts the receiver with it", async () => {
    const a = rs[0] as FakeReceiver;
    fleet.connack("dev_a", 0);
    fleet.connack("dev_a", 5);
    fleet.connack("dev_a", 4);
    fleet.connack("unknown", 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rotations).toEqual(["dev_a"]);
    expect(a.token).toBe("new-dev_a");
    expect(a.starts).toBe(2);
  });

  it("reboot restarts the receiver", async () => {
    const b = rs[1] as FakeReceiver;
    fleet.reboot(b);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.starts).toBe(2);
    expect(b.status).toBe("running");
  });
});
