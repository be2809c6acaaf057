/**
 * A real aedes broker on 127.0.0.1 for MqttJsLink tests, with the ARCHITECTURE §3 access rule (shared
 * `isAllowed`) and password auth. Two listeners on the same broker: one for the device (which tests take
 * down and bring back), one for the cloud-side test client (which stays up). `restart()` replaces the aedes
 * instance on the same ports, like a broker process restart: sessions and retained messages are gone.
 */
import { Aedes } from "aedes";
import net from "node:net";
import { DEFAULT_CLOUD_USER, TOPIC_SPECS, createTopics, isAllowed } from "@loa/shared";
import { connect, type MqttClient } from "mqtt";

export const CLOUD_PASSWORD = "cloud-secret";

class Listener {
  readonly sockets = new Set<net.Socket>();
  server: net.Server | undefined;

  constructor(
    private readonly handle: () => (socket: net.Socket) => void,
    public port = 0,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      this.handle()(s);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  destroySockets(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.destroySockets();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export class TestBroker {
  aedes!: Aedes;
  private readonly device: Listener;
  private readonly cloud: Listener;

  private constructor(private readonly tokens: Map<string, string>) {
    this.device = new Listener(() => (s) => this.aedes.handle(s));
    this.cloud = new Listener(() => (s) => this.aedes.handle(s));
  }

  /** `tokens`: deviceId → token accepted as the MQTT password. */
  static async start(tokens: Record<string, string>): Promise<TestBroker> {
    const b = new TestBroker(new Map(Object.entries(tokens)));
    await b.newAedes();
    await b.device.open();
    await b.cloud.open();
    return b;
  }

  get deviceUrl(): string {
    return `mqtt://127.0.0.1:${this.device.port}`;
  }

  get cloudUrl(): string {
    return `mqtt://127.0.0.1:${this.cloud.port}`;
  }

  /** Cut the device connections abruptly (the broker publishes their wills); the listener stays up. */
  dropDevices(): void {
    this.device.destroySockets();
  }

  /** The device listener stops accepting and its connections are cut. */
  async takeDeviceDown(): Promise<void> {
    await this.device.close();
  }

  async bringDeviceUp(): Promise<void> {
    await this.device.open();
  }

  /** Like a broker process restart on the same ports: sessions, subscriptions and retained messages are gone. */
  async restart(downMs: number): Promise<void> {
    await this.device.close();
    await this.cloud.close();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise((r) => setTimeout(r, downMs));
    await this.newAedes();
    await this.device.open();
    await this.cloud.open();
  }

  /** A cloud-side client (user loa-cloud) that records what devices publish. */
  async cloudClient(): Promise<CloudClient> {
    const client = connect(this.cloudUrl, {
      username: DEFAULT_CLOUD_USER,
      password: CLOUD_PASSWORD,
      clientId: `cloud-test-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 50,
    });
    const seen: { topic: string; payload: Buffer }[] = [];
    const topics = createTopics();
    client.on("message", (topic, payload) => {
      const parsed = topics.parse(topic);
      if (parsed && TOPIC_SPECS[parsed.kind].dir === "dev→cloud") seen.push({ topic, payload });
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync("loa/v1/#", { qos: 1 });
    return { client, seen };
  }

  /** The retained message on `topic`, read by a fresh subscriber. */
  async retained(topic: string): Promise<Buffer | undefined> {
    const { client } = await this.cloudClient();
    try {
      let got: Buffer | undefined;
      client.on("message", (t, p) => {
        if (t === topic) got = p;
      });
      await client.subscribeAsync(topic, { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      return got;
    } finally {
      await client.endAsync(true);
    }
  }

  async close(): Promise<void> {
    await this.device.close();
    await this.cloud.close();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private async newAedes(): Promise<void> {
    const aedes = await Aedes.createBroker();
    const users = new WeakMap<object, string>();
    aedes.authenticate = (client, username, password, done) => {
      const pw = password?.toString("utf8");
      const ok = username === DEFAULT_CLOUD_USER ? pw === CLOUD_PASSWORD : this.tokens.get(username ?? "") === pw;
      if (ok && username) users.set(client, username);
      done(null, ok);
    };
    const userOf = (client: object | null): string => (client && users.get(client)) ?? "";
    aedes.authorizePublish = (client, packet, done) =>
      done(isAllowed(userOf(client), "publish", packet.topic) ? null : new Error(`denied ${packet.topic}`));
    aedes.authorizeSubscribe = (client, sub, done) => done(null, isAllowed(userOf(client), "subscribe", sub.topic) ? sub : null);
    this.aedes = aedes;
  }
}

export interface CloudClient {
  client: MqttClient;
  seen: { topic: string; payload: Buffer }[];
}
