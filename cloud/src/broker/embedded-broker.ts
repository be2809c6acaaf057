/**
 * The default broker (ARCHITECTURE §4): aedes inside the cloud process, MQTT 3.1.1 over TCP and over
 * WebSocket, with the §3 Auth rules as aedes hooks. `MQTT_URL` replaces all of this with an external broker.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from "aedes";
import type { Logger } from "pino";
import { WebSocketServer, createWebSocketStream } from "ws";
import { LoaError, errorMessage } from "@loa/shared";
import type { Catalog } from "../ports/store.js";
import { BrokerAccess, type Role } from "./access.js";
import { indexedMemoryPersistence } from "./retained-persistence.js";
import { BrokerStats } from "./stats.js";
import { ReadGate } from "./read-gate.js";

export interface ListenAddress {
  /** Default 0.0.0.0 (devices connect from the network). */
  host?: string;
  /** 0 = any free port; read the bound one from `port` / `wsPort`. */
  port: number;
}

export interface EmbeddedBrokerDeps {
  catalog: Pick<Catalog, "data">;
  log: Logger;
  /** MQTT over TCP (`LOA_MQTT_PORT`, default 1883). */
  tcp: ListenAddress;
  /** MQTT over WebSocket (`LOA_MQTT_WS_PORT`); absent = no WebSocket listener. */
  ws?: ListenAddress;
  /** The cloud's MQTT password; default a random secret held in memory for this process only. */
  cloudPassword?: string;
  cloudUser?: string;
  prefix?: string;
  /** Disconnect a client whose socket stays full this long (aedes default 60 s). */
  drainTimeoutMs?: number;
}

/** A publish refused by the access rule; aedes reports it as a client error, which we do not count twice. */
export class MqttPublishDeniedError extends LoaError {
  constructor(topic: string) {
    super("mqtt_publish_denied", `publish to ${topic} is not allowed`, { topic });
  }
}

interface Session {
  username: string;
  role: Role;
}

type AuthenticateDone = (error: (Error & { returnCode: number }) | null, success: boolean | null) => void;

export class EmbeddedBroker {
  readonly stats = new BrokerStats();
  readonly access: BrokerAccess;
  private readonly log: Logger;
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly byUser = new Map<string, Set<Client>>();
  private readonly sockets = new Set<Socket>();
  /** TCP connections are read through it, so a burst from every receiver is handled over several turns. */
  readonly readGate = new ReadGate();
  private tcpServer: Server | undefined;
  private wsServer: WebSocketServer | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly aedes: Aedes,
    private readonly cloudPassword: string,
    deps: EmbeddedBrokerDeps,
  ) {
    this.log = deps.log.child({ ns: "cloud.broker" });
    this.access = new BrokerAccess({ catalog: deps.catalog, cloudPassword, cloudUser: deps.cloudUser, prefix: deps.prefix });
  }

  /** Create the broker and listen; rejects (and releases everything) when a port cannot be bound. */
  static async start(deps: EmbeddedBrokerDeps): Promise<EmbeddedBroker> {
    // Retained messages in a topic tree: the stock store scans them all on every SUBSCRIBE (retained-persistence.ts).
    const aedes = await Aedes.createBroker({ drainTimeout: deps.drainTimeoutMs ?? 60_000, persistence: indexedMemoryPersistence() });
    const broker = new EmbeddedBroker(aedes, deps.cloudPassword ?? randomBytes(32).toString("base64url"), deps);
    broker.installHooks();
    try {
      await broker.listenTcp(deps.tcp);
      if (deps.ws) await broker.listenWs(deps.ws);
    } catch (err) {
      await broker.close();
      throw err;
    }
    broker.log.info({ port: broker.port, wsPort: broker.wsPort }, "embedded MQTT broker listening");
    return broker;
  }

  /** Bound TCP port. */
  get port(): number {
    const addr = this.tcpServer?.address();
    return addr && typeof addr === "object" ? addr.port : 0;
  }

  /** Bound WebSocket port, or undefined without a WebSocket listener. */
  get wsPort(): number | undefined {
    const addr = this.wsServer?.address();
    return addr && typeof addr === "object" ? addr.port : undefined;
  }

  /** What the cloud's own client connects with (ARCHITECTURE §3 Auth: user `loa-cloud`). */
  cloudCredentials(): { url: string; username: string; password: string } {
    return { url: `mqtt://127.0.0.1:${this.port}`, username: this.access.cloudUser, password: this.cloudPassword };
  }

  /** Drop every connection of `deviceId` now (token rotated, device deleted); the old token is refused on reconnect. */
  async revoke(deviceId: string): Promise<void> {
    const clients = [...(this.byUser.get(deviceId) ?? [])];
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))));
    if (clients.length > 0) this.log.info({ deviceId, connections: clients.length }, "device sessions revoked");
  }

  /** Close every client and both listeners. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const tcpClosed = this.tcpServer?.listening ? new Promise<void>((resolve) => this.tcpServer?.close(() => resolve())) : Promise.resolve();
    const wsClosed = this.wsServer ? new Promise<void>((resolve) => this.wsServer?.close(() => resolve())) : Promise.resolve();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // Connections that never completed CONNECT are not aedes clients yet.
    for (const s of this.sockets) s.destroy();
    for (const ws of this.wsServer?.clients ?? []) ws.terminate();
    await Promise.all([tcpClosed, wsClosed]);
    this.log.info("embedded MQTT broker closed");
  }

  private listenTcp(addr: ListenAddress): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      this.aedes.handle(socket);
      this.readGate.wrap(socket);
    });
    this.tcpServer = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(addr.port, addr.host ?? "0.0.0.0", () => {
        server.off("error", reject);
        server.on("error", (err) => this.log.error({ err }, "MQTT TCP listener error"));
        resolve();
      });
    });
  }

  private listenWs(addr: ListenAddress): Promise<void> {
    const wss = new WebSocketServer({ host: addr.host ?? "0.0.0.0", port: addr.port });
    this.wsServer = wss;
    wss.on("connection", (ws, req) => {
      const stream = createWebSocketStream(ws);
      stream.on("error", (err) => this.log.debug({ err: errorMessage(err) }, "WebSocket stream error"));
      this.aedes.handle(stream, req);
    });
    return new Promise((resolve, reject) => {
      wss.once("error", reject);
      wss.once("listening", () => {
        wss.off("error", reject);
        wss.on("error", (err) => this.log.error({ err }, "MQTT WebSocket listener error"));
        resolve();
      });
    });
  }

  private installHooks(): void {
    this.aedes.authenticate = (client, username, password, done) => this.authenticate(client, username, password, done);
    this.aedes.authorizePublish = (client, packet, done) => done(this.authorizePublish(client, packet));
    this.aedes.authorizeSubscribe = (client, sub, done) => done(null, this.authorizeSubscribe(client, sub));
    this.aedes.authorizeForward = (client, packet) => this.authorizeForward(client, packet);
    // "client" fires when the session is registered, before CONNACK, so revoke() never misses a fresh login.
    this.aedes.on("client", (client) => this.onRegistered(client));
    this.aedes.on("clientDisconnect", (client) => this.onGone(client));
    this.aedes.on("publish", (packet, client) => {
      if (client) this.stats.inc("messagesIn");
    });
    this.aedes.on("clientError", (client, err) => this.onClientError(client, err));
    this.aedes.on("connectionError", (client, err) => this.onClientError(client, err));
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: AuthenticateDone): void {
    const result = this.access.authenticate(client.id, username, password);
    if (result.ok) {
      this.sessions.set(client, { username: username ?? "", role: result.role });
      done(null, true);
      return;
    }
    this.stats.inc("authFailures");
    this.log.warn({ username, clientId: client.id, remote: remoteOf(client), reason: result.reason }, "MQTT connection refused");
    done(Object.assign(new Error(result.reason), { returnCode: result.returnCode }), false);
  }

  /** Denied → error → aedes closes the connection without acknowledging (MQTT 3.1.1 §3.3.5). */
  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    const session = client ? this.sessions.get(client) : undefined;
    if (session && this.access.canPublish(session.username, packet.topic, packet.retain)) return null;
    this.stats.inc("deniedPublishes");
    this.log.warn({ username: session?.username, topic: packet.topic, retain: packet.retain }, "MQTT publish denied");
    return new MqttPublishDeniedError(packet.topic);
  }

  /** Denied → null → SUBACK 128 for that filter; the connection stays up. */
  private authorizeSubscribe(client: Client, sub: Subscription): Subscription | null {
    const session = this.sessions.get(client);
    if (session && this.access.canSubscribe(session.username, sub.topic)) return sub;
    this.stats.inc("deniedSubscribes");
    this.log.warn({ username: session?.username, filter: sub.topic }, "MQTT subscription denied");
    return null;
  }

  /** Defence in depth: even a retained or restored message reaches a client only if its topic is readable. */
  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const session = this.sessions.get(client);
    if (session && this.access.canReceive(session.username, packet.topic)) {
      this.stats.inc("messagesOut");
      return packet;
    }
    if (!packet.topic.startsWith("$SYS/")) this.stats.inc("deniedDeliveries");
    return null;
  }

  private onRegistered(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    this.stats.inc("connections");
    this.stats.inc("connected");
    let set = this.byUser.get(session.username);
    if (!set) this.byUser.set(session.username, (set = new Set()));
    set.add(client);
    // Guarded: remoteOf reads the socket, on every connect of a reconnect storm, for a line usually off.
    if (this.log.isLevelEnabled("debug")) this.log.debug({ username: session.username, clientId: client.id, remote: remoteOf(client) }, "MQTT client connected");
  }

  private onGone(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    const set = this.byUser.get(session.username);
    if (set?.delete(client)) this.stats.inc("connected", -1);
    if (set?.size === 0) this.byUser.delete(session.username);
    this.log.debug({ username: session.username, clientId: client.id }, "MQTT client disconnected");
  }

  private onClientError(client: Client, err: Error): void {
    // Refused CONNECTs and publishes are already counted and logged by the hooks.
    if (err instanceof MqttPublishDeniedError) return;
    if ("errorCode" in err && typeof err.errorCode === "number" && err.errorCode >= 2 && err.errorCode <= 5) return;
    this.stats.inc("clientErrors");
    this.log.info({ clientId: client.id, username: this.sessions.get(client)?.username, err: errorMessage(err) }, "MQTT client error");
  }
}

function remoteOf(client: Client): string | undefined {
  const conn = client.conn as Partial<Socket>;
  if (typeof conn.remoteAddress === "string") return `${conn.remoteAddress}:${conn.remotePort ?? ""}`;
  return client.req?.socket.remoteAddress;
}
