// Provisioning against a stand-in cloud: first run, rerun reuse, forgotten devices, name clashes, rotation.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeCloud, TREE, type FakeCloud } from "./fake-cloud.fixture.js";
import { ensureReceivers, leastUsedArea, nextFreeName, rotateToken, type ProvisionDeps } from "./provision.js";
import { CloudApiError, RestClient } from "./rest-client.js";
import { emptyState, type FleetState } from "./state-file.js";

const log = pino({ level: "silent" });
let cloud: FakeCloud;
let saved: FleetState[];

beforeEach(async () => {
  cloud = await startFakeCloud(structuredClone(TREE));
  saved = [];
});
afterEach(async () => {
  await cloud.close();
});

function deps(state: FleetState, token = cloud.token): ProvisionDeps {
  return {
    api: new RestClient({ baseUrl: cloud.url, token }),
    state,
    save: (s) => {
      saved.push(structuredClone(s));
      return Promise.resolve();
    },
    log,
    now: () => new Date("2026-03-01T00:00:00Z"),
  };
}

describe("ensureReceivers", () => {
  it("provisions what is missing, spread over the visible villages, saving after each one", async () => {
    const state = emptyState(cloud.url);
    const res = await ensureReceivers(deps(state), { count: 3 });
    expect(res).toMatchObject({ reused: 0, provisioned: 3, forgotten: [] });
    expect(res.receivers.map((r) => [r.name, r.areaId])).toEqual([["sim-001", "v1"], ["sim-001", "v2"], ["sim-002", "v1"]]);
    expect(saved).toHaveLength(3);
    expect(Object.keys(state.receivers)).toEqual(cloud.devices.map((d) => d.id));
    const first = res.receivers[0];
    expect(first?.token).toBe(cloud.devices[0]?.token);
    expect(first?.edgeConfig).toMatchObject({ deviceId: first?.deviceId, token: first?.token, prefix: "loa/v1" });
    expect(first?.provisionedAt).toBe("2026-03-01T00:00:00.000Z");
  });

  it("reuses remembered receivers on a rerun and provisions only the difference", async () => {
    const state = emptyState(cloud.url);
    await ensureReceivers(deps(state), { count: 2 });
    const before = cloud.calls.filter((c) => c === "POST /api/v1/devices").length;
    const again = await ensureReceivers(deps(state), { count: 2 });
    expect(again).toMatchObject({ reused: 2, provisioned: 0 });
    expect(cloud.calls.filter((c) => c === "POST /api/v1/devices").length).toBe(before);
    const more = await ensureReceivers(deps(state), { count: 3 });
    expect(more).toMatchObject({ reused: 2, provisioned: 1 });
    expect(cloud.devices).toHaveLength(3);
    const fewer = await ensureReceivers(deps(state), { count: 1 });
    expect(fewer.receivers).toHaveLength(1);
    expect(cloud.devices).toHaveLength(3);
  });

  it("forgets a receiver the cloud no longer knows and provisions a new one in its place", async () => {
    const state = emptyState(cloud.url);
    const first = await ensureReceivers(deps(state), { count: 2, areaIds: ["c2"] });
    const gone = first.receivers[0]?.deviceId as string;
    cloud.devices.splice(cloud.devices.findIndex((d) => d.id === gone), 1);
    const again = await ensureReceivers(deps(state), { count: 2, areaIds: ["c2"] });
    expect(again.forgotten).toEqual([gone]);
    expect(again).toMatchObject({ reused: 1, provisioned: 1 });
    expect(state.receivers[gone]).toBeUndefined();
    expect(again.receivers.map((r) => r.name).sort()).toEqual(["sim-001", "sim-002"]);
  });

  it("reads every page of the cloud's device list: receivers past the first page are not taken for forgotten", async () => {
    await cloud.close();
    cloud = await startFakeCloud(structuredClone(TREE), { pageMax: 2 });
    const state = emptyState(cloud.url);
    await ensureReceivers(deps(state), { count: 5 });
    const posts = cloud.calls.filter((c) => c === "POST /api/v1/devices").length;
    const callsBefore = cloud.calls.length;
    const again = await ensureReceivers(deps(state), { count: 5 });
    expect(again).toMatchObject({ reused: 5, provisioned: 0, forgotten: [] });
    expect(cloud.calls.filter((c) => c === "POST /api/v1/devices").length).toBe(posts);
    expect(cloud.calls.slice(callsBefore).filter((c) => c === "GET /api/v1/devices")).toHaveLength(3); // 5 devices, 2 a page
  });

  it("places receivers only in the areas asked for, and skips names already taken", async () => {
    cloud.devices.push({ id: "dev_x", name: "sim-001", areaId: "c2", profile: "loa-amp-v1", token: "t" });
    const state = emptyState(cloud.url);
    const res = await ensureReceivers(deps(state), { count: 2, areaIds: ["c2"], profile: "relay-board-v1" });
    expect(res.receivers.map((r) => [r.name, r.areaId, r.edgeConfig.profile])).toEqual([["sim-002", "c2", "relay-board-v1"], ["sim-003", "c2", "relay-board-v1"]]);
  });

  it("refuses an unknown area or one a receiver cannot hang in", async () => {
    await expect(ensureReceivers(deps(emptyState(cloud.url)), { count: 1, areaIds: ["nope"] })).rejects.toThrow(/area nope does not exist/);
    await expect(ensureReceivers(deps(emptyState(cloud.url)), { count: 1, areaIds: ["p1"] })).rejects.toThrow(/is a province/);
  });

  it("says so when the token is refused", async () => {
    const err = await ensureReceivers(deps(emptyState(cloud.url), "loa_wrong"), { count: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudApiError);
    expect(err).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("says so when the cloud cannot be reached", async () => {
    const api = new RestClient({ baseUrl: "http://127.0.0.1:9", token: "x", timeoutMs: 2000 });
    const err = await ensureReceivers({ ...deps(emptyState("x")), api }, { count: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "cloud_unreachable", status: 0 });
  });
});

describe("rotateToken", () => {
  it("gets a new token for a remembered receiver, keeping its id, and saves it", async () => {
    const state = emptyState(cloud.url);
    const [r] = (await ensureReceivers(deps(state), { count: 1 })).receivers;
    const id = r?.deviceId as string;
    const next = await rotateToken(deps(state), id);
    expect(next.deviceId).toBe(id);
    expect(next.token).not.toBe(r?.token);
    expect(next.token).toBe(cloud.devices[0]?.token);
    expect(next.edgeConfig.token).toBe(next.token);
    expect(saved.at(-1)?.receivers[id]?.token).toBe(next.token);
  });
});

describe("helpers", () => {
  it("nextFreeName counts per area and ignores case", () => {
    const taken = [{ areaId: "a", name: "SIM-001" }, { areaId: "a", name: "sim-002" }, { areaId: "b", name: "sim-003" }];
    expect(nextFreeName("sim", "a", taken)).toBe("sim-003");
    expect(nextFreeName("sim", "b", taken)).toBe("sim-001");
  });

  it("leastUsedArea picks the emptiest, the first on a tie", () => {
    expect(leastUsedArea(["a", "b", "c"], [{ areaId: "a" }, { areaId: "b" }])).toBe("c");
    expect(leastUsedArea(["a", "b"], [{ areaId: "a" }, { areaId: "b" }])).toBe("a");
    expect(() => leastUsedArea([], [])).toThrow();
  });
});
