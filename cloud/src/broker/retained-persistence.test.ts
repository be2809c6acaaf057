/**
 * The retained store of the embedded broker (retained-persistence.ts) against aedes' stock memory
 * persistence: the same packets in, the same answers out for exact, `+` and `#` filters and deletions; and
 * an exact filter among 20,000 retained messages looks at one of them, not all.
 */
import type { Readable } from "node:stream";
import aedesPersistence from "aedes-persistence";
import { describe, expect, it } from "vitest";
import { RetainedTree, indexedMemoryPersistence, type RetainablePacket, type RetainedStore } from "./retained-persistence.js";

interface Pkt extends RetainablePacket {
  cmd: "publish";
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

const stockPersistence = aedesPersistence as unknown as () => RetainedStore;
const pkt = (topic: string, payload: string, qos: 0 | 1 | 2 = 1): Pkt => ({ cmd: "publish", topic, payload: Buffer.from(payload), qos, retain: true });

/** Topic and payload of every packet a stream gives, sorted (MQTT does not order retained messages). */
async function read(stream: Readable): Promise<string[]> {
  const packets = (await stream.toArray()) as Pkt[];
  return packets.map((p) => `${p.topic}=${p.payload.toString()}@${p.qos}`).sort();
}

/** No empty level here: there the stock store departs from MQTT (see the [MQTT-4.7.1-3] case below). */
const TOPICS = [
  "loa/v1/dev/dev_a/status",
  "loa/v1/dev/dev_a/plan",
  "loa/v1/dev/dev_b/status",
  "loa/v1/dev/dev_b/plan",
  "loa/v1/dev/dev_c/status",
  "a",
  "a/b",
  "a/b/c/d",
  "$SYS/broker/x",
];

const FILTERS = [
  "loa/v1/dev/dev_a/status",
  "loa/v1/dev/dev_a/plan",
  "loa/v1/dev/dev_z/plan",
  "loa/v1/dev/+/status",
  "loa/v1/dev/+/+",
  "loa/v1/dev/#",
  "loa/v1/media/+/+",
  "loa/+/dev/dev_b/#",
  "#",
  "+",
  "+/+",
  "+/#",
  "a/#",
  "a/+",
  "a/+/b",
  "/+",
  "$SYS/#",
  "loa/v1/dev/dev_a",
];

/** The same stores, overwrites and deletions into both persistences. */
async function fill(...stores: RetainedStore[]): Promise<void> {
  for (const s of stores) {
    for (const t of TOPICS) await s.storeRetained(pkt(t, `v1 ${t}`));
    await s.storeRetained(pkt("loa/v1/dev/dev_a/plan", "v2", 2)); // overwrite, with another QoS
    await s.storeRetained(pkt("loa/v1/dev/dev_c/status", "")); // [MQTT-3.3.1-10] empty payload deletes
    await s.storeRetained(pkt("a/b/c/d", ""));
    await s.storeRetained(pkt("never/stored", "")); // deleting what is not there is a no-op
  }
}

describe("indexedMemoryPersistence: the retained store answers as the stock one does", () => {
  it("every filter, one at a time", async () => {
    const stock = stockPersistence();
    const ours = indexedMemoryPersistence();
    await fill(stock, ours);
    for (const f of FILTERS) {
      const want = await read(stock.createRetainedStream(f));
      expect({ f, got: await read(ours.createRetainedStream(f)) }).toEqual({ f, got: want });
    }
    // Spot checks, so an equal-but-wrong stock answer would not pass unseen.
    expect(await read(ours.createRetainedStream("loa/v1/dev/+/status"))).toEqual(["loa/v1/dev/dev_a/status=v1 loa/v1/dev/dev_a/status@1", "loa/v1/dev/dev_b/status=v1 loa/v1/dev/dev_b/status@1"]);
    expect(await read(ours.createRetainedStream("loa/v1/dev/dev_a/plan"))).toEqual(["loa/v1/dev/dev_a/plan=v2@2"]);
    expect(await read(ours.createRetainedStream("a/#"))).toEqual(["a/b=v1 a/b@1", "a=v1 a@1"]);
    expect(await read(ours.createRetainedStream("loa/v1/dev/dev_c/status"))).toEqual([]);
  });

  it("several filters at once (one SUBSCRIBE), overlaps included", async () => {
    const stock = stockPersistence();
    const ours = indexedMemoryPersistence();
    await fill(stock, ours);
    const sets = [FILTERS, ["loa/v1/dev/dev_a/plan", "loa/v1/dev/+/plan", "#"], ["loa/v1/dev/dev_b/status", "loa/v1/media/+/+"], []];
    for (const filters of sets) {
      expect(await read(ours.createRetainedStreamCombi(filters))).toEqual(await read(stock.createRetainedStreamCombi(filters)));
    }
    expect(await read(ours.createRetainedStreamCombi(["loa/v1/dev/dev_b/status", "loa/v1/dev/+/status"]))).toHaveLength(3);
  });

  it("[MQTT-4.7.1-3] `+` matches an empty level too, as aedes' live delivery does (the stock retained store does not)", async () => {
    const ours = indexedMemoryPersistence();
    for (const t of ["a//b", "/x", "a/"]) await ours.storeRetained(pkt(t, "e"));
    expect(await read(ours.createRetainedStream("a/+/b"))).toEqual(["a//b=e@1"]);
    expect(await read(ours.createRetainedStream("/+"))).toEqual(["/x=e@1"]);
    expect(await read(ours.createRetainedStream("+/+"))).toEqual(["/x=e@1", "a/=e@1"]);
    expect(await read(ours.createRetainedStream("+/#"))).toEqual(["/x=e@1", "a//b=e@1", "a/=e@1"]);
    expect(await read(ours.createRetainedStream("a/#"))).toEqual(["a//b=e@1", "a/=e@1"]);
  });

  it("keeps a copy: aedes changing the packet after storing it does not change the retained message", async () => {
    const ours = indexedMemoryPersistence();
    const p = pkt("loa/v1/dev/dev_a/status", "birth");
    await ours.storeRetained(p);
    p.topic = "elsewhere";
    p.qos = 0;
    expect(await read(ours.createRetainedStream("loa/v1/dev/dev_a/status"))).toEqual(["loa/v1/dev/dev_a/status=birth@1"]);
  });

  it("a deleted topic leaves no branch behind, and storing it again works", async () => {
    const tree = new RetainedTree<Pkt>();
    tree.store(pkt("x/y/z", "1"));
    tree.store(pkt("x/y", "2"));
    tree.store(pkt("x/y/z", ""));
    expect(tree.size).toBe(1);
    expect(tree.match(["x/#"]).map((p) => p.topic)).toEqual(["x/y"]);
    tree.store(pkt("x/y", ""));
    expect(tree.size).toBe(0);
    expect(tree.match(["#"])).toEqual([]);
    tree.store(pkt("x/y/z", "3"));
    expect(tree.match(["x/+/z"]).map((p) => p.payload.toString())).toEqual(["3"]);
  });
});

describe("RetainedTree at fleet size", () => {
  it("an exact filter among 20,000 retained messages looks at one; the media filter at none", () => {
    const tree = new RetainedTree<Pkt>();
    for (let i = 0; i < 10_000; i++) {
      tree.store(pkt(`loa/v1/dev/dev_${i}/status`, "s"));
      tree.store(pkt(`loa/v1/dev/dev_${i}/plan`, "p"));
    }
    expect(tree.size).toBe(20_000);
    // What a receiver subscribes to on every connect (edge-agent MqttJsLink).
    const receiverFilters = ["loa/v1/dev/dev_4242/plan", "loa/v1/dev/dev_4242/cmd", "loa/v1/dev/dev_4242/ack", "loa/v1/dev/dev_4242/time/res", "loa/v1/media/+/+"];
    const got = tree.match(receiverFilters);
    expect(got.map((p) => p.topic)).toEqual(["loa/v1/dev/dev_4242/plan"]);
    expect(tree.visited).toBe(1);
    // A wildcard still finds every match: it visits those and only those.
    tree.visited = 0;
    expect(tree.match(["loa/v1/dev/+/status"])).toHaveLength(10_000);
    expect(tree.visited).toBe(10_000);
  });
});
