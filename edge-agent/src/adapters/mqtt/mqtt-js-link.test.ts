/**
 * MqttJsLink against a real aedes broker on 127.0.0.1 (port 0) with the §3 access rule, through real mqtt.js.
 */
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import mqttPacket from "mqtt-packet";
import { SystemClock, createTopics, examples, type PayloadOf } from "@loa/shared";
import { linkContract, collect, waitFor } from "../../testing/link-contract.js";
import { MqttJsLink, type MqttJsLinkDeps } from "./mqtt-js-link.js";
import { TestBroker, type CloudClient } from "./aedes-broker.fixture.js";
import { backoffCap } from "./backoff.js";

const DEVICE = "dev_contract";
const TOKEN = "tok-secret";
const topics = createTopics();
const silent = pino({ level: process.env.LINK_LOG ?? "silent" });

function makeLink(broker: TestBroker, over: Partial<MqttJsLinkDeps> = {}): MqttJsLink {
  return new MqttJsLink({
    url: broker.deviceUrl,
    deviceId: DEVICE,
    token: TOKEN,
    agentVersion: "0.1.0",
    profile: "loa-amp-v1",
    clock: new SystemClock(),
    log: silent,
    reconnect: { minMs: 20, maxMs: 200 },
    keepaliveS: 5,
    connectTimeoutMs: 2_000,
    ...over,
  });
}

linkContract("MqttJsLink + aedes", async () => {
  const broker = await TestBroker.start({ [DEVICE]: TOKEN });
  const cloud = await broker.cloudClient();
  const link = makeLink(broker);
  return {
    link,
    seen: () => cloud.seen,
    cloudPublish: async (topic, payload) => {
      await cloud.client.publishAsync(topic, payload, { qos: 1 });
    },
    retained: (topic) => broker.retained(topic),
    goOffline: async () => {
      await broker.takeDeviceDown();
      await waitFor(() => !link.online, "link offline");
    },
    goOnline: async () => {
      await broker.bringDeviceUp();
      await waitFor(() => link.online, "link online again");
    },
    close: async () => {
      await link.stop();
      await cloud.client.endAsync(true);
      await broker.close();
    },
  };
});

describe("MqttJsLink (aedes)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup(): Promise<{ broker: TestBroker; cloud: CloudClient }> {
    const broker = await TestBroker.start({ [DEVICE]: TOKEN });
    const cloud = await broker.cloudClient();
    cleanups.push(() => broker.close(), () => cloud.client.endAsync(true));
    return { broker, cloud };
  }
  const statusOf = (cloud: CloudClient): PayloadOf<"status">[] =>
    cloud.seen.filter((m) => m.topic === topics.status(DEVICE)).map((m) => JSON.parse(m.payload.toString()) as PayloadOf<"status">);

  it("[footprint] leaves mqtt-packet's 65,536-Buffer number cache off (~7 MB of heap on a receiver)", async () => {
    const { broker } = await setup();
    const link = makeLink(broker);
    cleanups.push(() => link.stop());
    await link.start();
    await waitFor(() => link.online, "online");
    // Global in mqtt-packet: the client sets it off only when `writeCache: false` is passed (docs/performance.md).
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });

  it("[§3 status] each start has a new bootId; the retained status is the latest birth", async () => {
    const { broker, cloud } = await setup();
    const first = makeLink(broker);
    await first.start();
    await waitFor(() => first.online, "first online");
    await first.stop();
    const second = makeLink(broker);
    cleanups.push(() => second.stop());
    await second.start();
    await waitFor(() => statusOf(cloud).length === 3, "birth, will, birth");
    expect(first.bootId).not.toBe(second.bootId);
    expect(statusOf(cloud).map((s) => [s.online, s.bootId])).toEqual([
      [true, first.bootId],
      [false, first.bootId],
      [true, second.bootId],
    ]);
    expect(JSON.parse((await broker.retained(topics.status(DEVICE)))?.toString() ?? "null")).toMatchObject({ online: true, bootId: second.bootId });
  });

  it("[§3 status] the broker publishes the will when the socket is destroyed; the link comes back by itself", async () => {
    const { broker, cloud } = await setup();
    const link = makeLink(broker);
    cleanups.push(() => link.stop());
    const online = collect(link, "online");
    await link.start();
    await waitFor(() => online.length === 1, "online");
    broker.dropDevices();
    await waitFor(() => statusOf(cloud).length === 3, "will then a new birth");
    expect(statusOf(cloud).map((s) => s.online)).toEqual([true, false, true]);
    expect(statusOf(cloud)[1]).toEqual({ online: false, bootId: link.bootId });
    await waitFor(() => online.length === 2, "online again");
    expect(link.stats().connects).toBe(2);
  });

  it("[§4] reconnects after a broker restart with randomized, bounded backoff; resubscribes and gets a new plan", async () => {
    const { broker, cloud } = await setup();
    const randoms = [0.5, 0.9, 0.1, 0.7, 0.3];
    let i = 0;
    const random = (): number => randoms[i++ % randoms.length] ?? 0.5;
    const opts = { minMs: 20, maxMs: 160 };
    const link = makeLink(broker, { random, reconnect: opts });
    cleanups.push(() => link.stop());
    const delays = collect(link, "reconnecting");
    const plans = collect(link, "plan");
    await link.start();
    await waitFor(() => link.online, "online");
    await broker.restart(400);
    await waitFor(() => link.online && link.stats().connects === 2, "online after the restart", 10_000);
    expect(delays.length).toBeGreaterThanOrEqual(3);
    delays.forEach((d, n) => {
      expect(d.attempt).toBe(n);
      const r = randoms[n % randoms.length] ?? 0;
      expect(d.delayMs).toBe(Math.floor(r * backoffCap(n, opts)));
      expect(d.delayMs).toBeLessThan(backoffCap(n, opts));
    });
    expect(new Set(delays.map((d) => d.delayMs)).size).toBeGreaterThan(1);
    // The restarted broker has no session: only our own resubscription makes this plan arrive.
    await waitFor(() => cloud.client.connected, "cloud client back");
    await cloud.client.subscribeAsync("loa/v1/#", { qos: 1 });
    await cloud.client.publishAsync(topics.plan(DEVICE), JSON.stringify(examples.plan), { qos: 1 });
    await waitFor(() => plans.length === 1, "plan after restart");
    expect(plans[0]).toEqual(examples.plan);
  });

  it("[§4] the backoff resets after a stable connection", async () => {
    const { broker } = await setup();
    const link = makeLink(broker, { reconnect: { minMs: 20, maxMs: 200, stableMs: 100 } });
    cleanups.push(() => link.stop());
    const delays = collect(link, "reconnecting");
    await link.start();
    await waitFor(() => link.online, "online");
    await broker.takeDeviceDown();
    await waitFor(() => delays.length >= 3, "three failed attempts");
    await broker.bringDeviceUp();
    await waitFor(() => link.online, "online again");
    await new Promise((r) => setTimeout(r, 150));
    const before = delays.length;
    broker.dropDevices();
    await waitFor(() => delays.length > before, "a reconnect after the stable connection");
    expect(delays[before]?.attempt).toBe(0);
  });

  it("[§3 auth] a wrong token never gets online and keeps retrying with backoff", async () => {
    const { broker } = await setup();
    const link = makeLink(broker, { token: "wrong" });
    cleanups.push(() => link.stop());
    const delays = collect(link, "reconnecting");
    const online = collect(link, "online");
    await link.start();
    await waitFor(() => delays.length >= 2, "retries");
    expect(online).toHaveLength(0);
    expect(link.online).toBe(false);
  });

  it("[§3 status] a clean stop leaves no will for the broker to publish later", async () => {
    const { broker, cloud } = await setup();
    const link = makeLink(broker);
    await link.start();
    await waitFor(() => link.online, "online");
    await link.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(statusOf(cloud).map((s) => s.online)).toEqual([true, false]);
    expect(link.stats().pending).toBe(0);
  });
});
