// The fleet's network switch: MQTT framing it reads, and cutting/restoring one receiver's network against a
// real aedes broker with password auth, with real mqtt.js clients.
import { Aedes } from "aedes";
import { connect, type MqttClient } from "mqtt";
import { generate } from "mqtt-packet";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connackCode, firstPacketLength, parseConnect } from "./mqtt-frames.js";
import { until } from "../../../test/support/wait.js";
import { NetSwitch, deviceOfConnect, relayTarget } from "./net-switch.js";

const log = pino({ level: "silent" });
const TOKENS: Record<string, string> = { dev1: "secret-1", dev2: "secret-2" };

function connectPacket(o: { clientId: string; username?: string; will?: boolean }): Buffer {
  return generate({
    cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 30, clientId: o.clientId,
    ...(o.username ? { username: o.username, password: Buffer.from("pw") } : {}),
    ...(o.will ? { will: { topic: "loa/v1/dev/x/status", payload: Buffer.from('{"online":false}'), qos: 1, retain: true } } : {}),
  });
}

describe("MQTT framing", () => {
  it("reads the client id and username of a CONNECT, with or without a will", () => {
    expect(parseConnect(connectPacket({ clientId: "loa-edge-dev1", username: "dev1", will: true }))).toEqual({ clientId: "loa-edge-dev1", username: "dev1" });
    expect(parseConnect(connectPacket({ clientId: "loa-edge-dev9:probe" }))).toEqual({ clientId: "loa-edge-dev9:probe", username: undefined });
    expect(deviceOfConnect(connectPacket({ clientId: "loa-edge-dev9:probe" }))).toBe("dev9");
    expect(deviceOfConnect(connectPacket({ clientId: "x", username: "dev3", will: true }))).toBe("dev3");
  });

  it("waits for a whole packet, including a multi-byte length", () => {
    const big = connectPacket({ clientId: "c".repeat(300), username: "dev1" });
    expect((big[1] ?? 0) & 0x80).toBe(0x80);
    expect(firstPacketLength(big.subarray(0, 2))).toBeUndefined();
    expect(firstPacketLength(big.subarray(0, big.length - 1))).toBeUndefined();
    expect(firstPacketLength(Buffer.concat([big, Buffer.from([0xc0, 0])]))).toBe(big.length);
  });

  it("refuses what is not a readable CONNECT, and reads CONNACK codes", () => {
    expect(parseConnect(Buffer.from([0x30, 0x02, 0, 0]))).toBeUndefined();
    expect(parseConnect(Buffer.from([0x10, 0x04, 0, 9, 0x4d, 0x51]))).toBeUndefined();
    expect(connackCode(generate({ cmd: "connack", returnCode: 5, sessionPresent: false }))).toBe(5);
    expect(connackCode(generate({ cmd: "connack", returnCode: 0, sessionPresent: true }))).toBe(0);
    expect(connackCode(Buffer.from([0x30, 0x02, 0, 0]))).toBeUndefined();
  });

  it("relays mqtt:// only", () => {
    expect(relayTarget("mqtt://broker.example:1884")).toEqual({ host: "broker.example", port: 1884 });
    expect(relayTarget("tcp://10.0.0.1")).toEqual({ host: "10.0.0.1", port: 1883 });
    expect(() => relayTarget("mqtts://x:8883")).toThrow(/mqtt:\/\/ only/);
  });
});

describe("NetSwitch against aedes", () => {
  let broker: Aedes;
  let server: Server;
  let sw: NetSwitch;
  let connacks: [string, number][];
  const clients: MqttClient[] = [];
  const sockets = new Set<Socket>();

  beforeEach(async () => {
    broker = await Aedes.createBroker();
    broker.authenticate = (_client, username, password, done) => {
      const ok = username !== undefined && TOKENS[username] === password?.toString();
      done(ok ? null : Object.assign(new Error("bad"), { returnCode: 5 }), ok);
    };
    server = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      broker.handle(s);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    connacks = [];
    sw = new NetSwitch({ upstream: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, log, onConnack: (id, code) => connacks.push([id, code]) });
    await sw.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await sw.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  function client(id: string, password = TOKENS[id]): MqttClient {
    const c = connect(sw.url, { clientId: `loa-edge-${id}`, username: id, password, reconnectPeriod: 100, connectTimeout: 2000 });
    c.on("error", () => undefined);
    clients.push(c);
    return c;
  }

  it("relays both ways and reports the CONNACK", async () => {
    const a = client("dev1");
    const b = client("dev2");
    await until("both clients connected", () => a.connected && b.connected, 5000, 20);
    expect(connacks.sort()).toEqual([["dev1", 0], ["dev2", 0]]);
    await b.subscribeAsync("t/x", { qos: 1 });
    const got = new Promise<string>((resolve) => b.once("message", (_t, p) => resolve(p.toString())));
    await a.publishAsync("t/x", "hello", { qos: 1 });
    expect(await got).toBe("hello");
    expect(sw.connections()).toBe(2);
  });

  it("cuts one receiver's network until restored, leaving the others alone", async () => {
    const a = client("dev1");
    const b = client("dev2");
    await until("both clients connected", () => a.connected && b.connected, 5000, 20);
    const offline = new Promise<void>((resolve) => a.once("close", () => resolve()));
    sw.cut("dev1");
    await offline;
    expect(sw.isCut("dev1")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(a.connected).toBe(false);
    expect(b.connected).toBe(true);
    expect(connacks.filter(([id]) => id === "dev1")).toHaveLength(1);
    sw.restore("dev1");
    await until("dev1 connected again after the restore", () => a.connected, 5000, 20);
    expect(connacks.filter(([id]) => id === "dev1")).toHaveLength(2);
  });

  it("tells whose credentials the broker refused", async () => {
    client("dev1", "wrong");
    await until("a CONNACK", () => connacks.length > 0, 5000, 20);
    expect(connacks[0]).toEqual(["dev1", 5]);
  });
});
