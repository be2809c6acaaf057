/**
 * The fleet's network: a TCP relay on 127.0.0.1 between the simulated receivers and the MQTT broker. It
 * reads each connection's CONNECT to learn which device it carries, so the control interface can cut one
 * receiver's network (`offline`: the connection drops and reconnects are refused, as when a village's
 * cellular link goes down) and the real edge-agent code reacts as it would in the field: backoff, outbox,
 * playing from its plan. It also watches the CONNACK, so the fleet learns that a device's token was
 * refused (rotated in the panel) and can rotate it itself.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { connackCode, firstPacketLength, parseConnect } from "./mqtt-frames.js";

/** Largest CONNECT we wait for before giving up on a connection. */
const MAX_CONNECT_BYTES = 64 * 1024;
const EDGE_CLIENT_PREFIX = "loa-edge-";

export interface NetSwitchDeps {
  /** The broker: `mqtt://host:port` or `tcp://host:port`. */
  upstream: string;
  log: Logger;
  /** Called with each CONNACK return code the broker sends a device (0 = accepted). */
  onConnack?: (deviceId: string, returnCode: number) => void;
}

interface Relay {
  deviceId: string;
  client: Socket;
  upstream: Socket | undefined;
}

/** The device a CONNECT speaks for: its username, else its client id without `loa-edge-` and `:suffix`. */
export function deviceOfConnect(packet: Buffer): string | undefined {
  const info = parseConnect(packet);
  if (!info) return undefined;
  if (info.username) return info.username;
  const base = info.clientId.startsWith(EDGE_CLIENT_PREFIX) ? info.clientId.slice(EDGE_CLIENT_PREFIX.length) : info.clientId;
  return base.split(":")[0] || undefined;
}

/** `{host, port}` of an mqtt:// or tcp:// URL; throws for schemes the switch cannot relay (TLS, WebSocket). */
export function relayTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== "mqtt:" && u.protocol !== "tcp:") {
    throw new Error(`the fleet's network switch relays mqtt:// only, not ${u.protocol}// (give --mqtt-url mqtt://host:port)`);
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 1883 };
}

export class NetSwitch {
  private readonly target: { host: string; port: number };
  private readonly log: Logger;
  private readonly onConnack: ((deviceId: string, returnCode: number) => void) | undefined;
  private readonly relays = new Map<string, Set<Relay>>();
  private readonly blocked = new Set<string>();
  private readonly pendingSockets = new Set<Socket>();
  private server: Server | undefined;
  private boundPort = 0;

  constructor(deps: NetSwitchDeps) {
    this.target = relayTarget(deps.upstream);
    this.log = deps.log;
    this.onConnack = deps.onConnack;
  }

  /** Listen on 127.0.0.1 (any free port); resolves with the URL the receivers should use. */
  async start(): Promise<string> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.boundPort}`;
  }

  /** Drop the device's connections now and refuse new ones until `restore`. */
  cut(deviceId: string): void {
    this.blocked.add(deviceId);
    for (const relay of this.relays.get(deviceId) ?? []) this.drop(relay);
  }

  restore(deviceId: string): void {
    this.blocked.delete(deviceId);
  }

  isCut(deviceId: string): boolean {
    return this.blocked.has(deviceId);
  }

  /** Open relays (connections through to the broker). */
  connections(): number {
    let n = 0;
    for (const set of this.relays.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    for (const set of this.relays.values()) for (const relay of set) this.drop(relay);
    for (const socket of this.pendingSockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.pendingSockets.add(client);
    client.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const len = firstPacketLength(head);
      if (len === undefined) {
        if (head.length > MAX_CONNECT_BYTES) client.destroy();
        return;
      }
      client.off("data", onData);
      client.pause();
      this.pendingSockets.delete(client);
      const deviceId = deviceOfConnect(head.subarray(0, len));
      if (!deviceId || this.blocked.has(deviceId)) return void client.destroy();
      this.open({ deviceId, client, upstream: undefined }, head);
    };
    client.on("data", onData);
    client.on("error", () => client.destroy());
    client.on("close", () => this.pendingSockets.delete(client));
  }

  private open(relay: Relay, head: Buffer): void {
    const set = this.relays.get(relay.deviceId) ?? new Set<Relay>();
    this.relays.set(relay.deviceId, set.add(relay));
    const upstream = tcpConnect(this.target.port, this.target.host);
    relay.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.write(head);
    relay.client.pipe(upstream);
    relay.client.resume();
    this.watchConnack(relay, upstream);
    const end = (): void => this.drop(relay);
    for (const s of [relay.client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
  }

  /** Pass the broker's bytes on, reading the first packet (the CONNACK) on the way. */
  private watchConnack(relay: Relay, upstream: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const len = firstPacketLength(head);
      if (len === undefined && head.length < MAX_CONNECT_BYTES) return;
      upstream.off("data", onData);
      const code = connackCode(head);
      if (code !== undefined) this.reportConnack(relay.deviceId, code);
      relay.client.write(head);
      upstream.pipe(relay.client);
    };
    upstream.on("data", onData);
  }

  private reportConnack(deviceId: string, code: number): void {
    if (code !== 0) this.log.warn({ deviceId, returnCode: code }, "broker refused the receiver's connection");
    try {
      this.onConnack?.(deviceId, code);
    } catch (err) {
      this.log.error({ err, deviceId }, "connack handler failed");
    }
  }

  private drop(relay: Relay): void {
    relay.client.destroy();
    relay.upstream?.destroy();
    const set = this.relays.get(relay.deviceId);
    set?.delete(relay);
    if (set?.size === 0) this.relays.delete(relay.deviceId);
  }
}
