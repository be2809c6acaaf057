/**
 * The whole cloud process in one call (ARCHITECTURE §1 cloud, §4, §7, §9 `loa-cloud` / `npm start`):
 * store, first admin, media pipeline, broker (embedded unless MQTT_URL), the cloud's MQTT client,
 * presence, remote commands, delivery, the live feed, metrics and the HTTP app. main.ts calls it; tests,
 * the demo and the fleet start a cloud in-process the same way. `close()` stops everything in reverse
 * order: HTTP first (no new requests), then delivery, commands, the MQTT client, the broker, the store.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { SystemClock, errorMessage, type Clock } from "@loa/shared";
import { pino, type Logger } from "pino";
import type { CloudMqttClient } from "../adapters/mqtt/cloud-mqtt-client.js";
import { openStore } from "../adapters/store/open-store.js";
import type { EmbeddedBroker } from "../broker/embedded-broker.js";
import { publicMqttUrlOf, type CloudConfig } from "../config.js";
import { bootstrapAdmin, type BootstrapResult } from "../core/auth/bootstrap.js";
import type { ScryptCost } from "../core/auth/password.js";
import { CommandCenter } from "../core/commands.js";
import { LiveFeed, PresenceTranslator, commandData } from "../core/live-feed.js";
import { knownDevices } from "../core/known-devices.js";
import type { Presence } from "../core/presence.js";
import { TelemetryHistory } from "../core/telemetry-history.js";
import { CloudMetrics } from "../http/metrics.js";
import { mediaPathOf } from "../http/routes/bulletin-media.js";
import { createFfmpegTranscoder } from "../adapters/ffmpeg/ffmpeg-transcoder.js";
import { detectTts } from "../adapters/tts/index.js";
import { sweepStaging } from "../media/content-store.js";
import type { Store } from "../ports/store.js";
import { DEFAULT_DELIVERY, type DeliveryFactory, type DeliveryPart } from "./delivery-hook.js";
import { startHttpSide, type HttpSide } from "./http-side.js";
import { createMqttSide } from "./mqtt-side.js";
import { MeteredMediaPipeline, tapJournal } from "./parts.js";

export interface StartCloudOptions {
  clock?: Clock;
  /** Root logger; default pino at `config.logLevel` on stdout. */
  log?: Logger;
  /** Environment for finding ffmpeg (FFMPEG_PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Delivery factory; default createDelivery (see delivery-hook.ts); null = none (presence and commands only). */
  delivery?: DeliveryFactory | null;
  /** scrypt cost for new password hashes (tests lower it). */
  passwordCost?: ScryptCost;
  /** SSE comment interval; default 15 s. */
  sseHeartbeatMs?: number;
}

export interface RunningCloud {
  config: CloudConfig;
  /** e.g. `http://127.0.0.1:8080` */
  httpUrl: string;
  httpPort: number;
  /** Embedded broker ports; undefined with an external broker (or no WebSocket listener). */
  mqttPort: number | undefined;
  wsPort: number | undefined;
  /** What provisioned edge configs say. */
  publicMqttUrl: string;
  /** What happened at first start (the generated admin password is in here, once). */
  admin: BootstrapResult;
  store: Store;
  presence: Presence;
  commands: CommandCenter;
  mqtt: CloudMqttClient;
  broker: EmbeddedBroker | undefined;
  metrics: CloudMetrics;
  feed: LiveFeed;
  delivery: DeliveryPart | undefined;
  close(): Promise<void>;
}

type Closer = [name: string, close: () => Promise<void> | void];

export async function startCloud(config: CloudConfig, opts: StartCloudOptions = {}): Promise<RunningCloud> {
  const clock = opts.clock ?? new SystemClock();
  const root = opts.log ?? pino({ level: config.logLevel });
  const log = root.child({ ns: "cloud" });
  const closers: Closer[] = [];
  try {
    return await assemble(config, opts, clock, root, closers);
  } catch (err) {
    log.error({ err: errorMessage(err) }, "start failed; releasing what was opened");
    await runClosers(closers, log);
    throw err;
  }
}

/** `log` is the root logger: every part adds its own `ns` (cloud.store, cloud.mqtt, ...). */
async function assemble(config: CloudConfig, opts: StartCloudOptions, clock: Clock, log: Logger, closers: Closer[]): Promise<RunningCloud> {
  const own = log.child({ ns: "cloud" });
  const store = await openStore({ dataDir: config.dataDir, clock, log });
  closers.push(["store", () => store.close()]);
  const admin = await bootstrapAdmin({
    catalog: store.catalog,
    clock,
    // The generated password is printed once by main.ts; it must not also sit in shipped logs.
    log: log.child({ ns: "cloud.auth" }, { level: "error" }),
    adminPassword: config.adminPassword ?? undefined,
    ...(opts.passwordCost ? { passwordCost: opts.passwordCost } : {}),
  });
  if (admin.created) own.info({ username: admin.username, generated: admin.generated }, "first start: admin user created");
  const { pipeline, mediaDir, tmpDir } = await createMedia(config, opts, clock, log);
  const side = await createMqttSide({ config, catalog: store.catalog, clock, log });
  if (side.broker) closers.push(["broker", () => side.broker?.close()]);
  // Metrics are built once every source exists; appends before that (delivery's start-up) go uncounted.
  let counted: CloudMetrics | undefined;
  const journal = tapJournal(store.journal, (entries) => counted?.journalAppended(entries));
  const commands = new CommandCenter({
    catalog: store.catalog,
    journal,
    clock,
    log,
    ttlMs: config.commandTtlS * 1000,
    publish: (id, cmd) => side.mqtt.publish("cmd", id, cmd),
    allowMedia: (ref, untilMs) => delivery?.allowMedia?.(ref, untilMs),
  });
  side.mqtt.on("cmdRes", (id, res) => commands.onResult(id, res));
  // Before the client subscribes: the charts' history is complete from the first live sample (§8 indexes).
  const telemetry = new TelemetryHistory({ journal: store.telemetry ?? journal, clock, log: log.child({ ns: "cloud.telemetry" }), known: knownDevices(store.catalog) });
  await telemetry.rebuild();
  side.mqtt.on("telemetry", (id, t, meta) => {
    if (!meta.retained) telemetry.onTelemetry(id, t, meta.receivedAt);
  });
  const factory = opts.delivery === undefined ? DEFAULT_DELIVERY : (opts.delivery ?? undefined);
  const delivery = factory
    ? await factory({ catalog: store.catalog, journal, mqtt: side.mqtt, presence: side.presence, clock, log, mediaPathOf: (sha) => mediaPathOf(mediaDir, sha), config: { tz: config.tz, prefix: config.mqttPrefix } })
    : undefined;
  if (!delivery) own.warn("started without delivery: no plans, event acks or media are sent to devices");
  const feed = wireFeed(log, side.presence, commands, delivery);
  const metrics = newMetrics({ store, side, pipeline, feed, commands, delivery });
  counted = metrics;
  await side.mqtt.start();
  closers.push(["mqtt", () => side.mqtt.close()]);
  closers.push(["commands", () => commands.close()]);
  if (delivery) {
    await delivery.start();
    closers.push(["delivery", () => delivery.close()]);
  }
  const publicMqttUrl = publicMqttUrlOf(config, side.broker?.port);
  let closing = false;
  const http = await startHttpSide({ config, store, journal, clock, log, side, commands, telemetry, delivery, feed, metrics, pipeline, mediaDir, tmpDir, publicMqttUrl, closing: () => closing, ...(opts.sseHeartbeatMs ? { sseHeartbeatMs: opts.sseHeartbeatMs } : {}) });
  closers.push(["http", () => http.close()]);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing = true;
    closed ??= runClosers(closers, own);
    return closed;
  };
  own.info({ http: http.url, mqtt: side.broker?.port ?? side.url, ws: side.broker?.wsPort, dataDir: config.dataDir }, "loa-cloud ready");
  return running(config, http, side, { admin, store, commands, metrics, feed, delivery, publicMqttUrl, close });
}

function running(
  config: CloudConfig,
  http: HttpSide,
  side: Awaited<ReturnType<typeof createMqttSide>>,
  rest: Pick<RunningCloud, "admin" | "store" | "commands" | "metrics" | "feed" | "delivery" | "publicMqttUrl" | "close">,
): RunningCloud {
  return {
    config,
    httpUrl: http.url,
    httpPort: http.port,
    mqttPort: side.broker?.port,
    wsPort: side.broker?.wsPort,
    presence: side.presence,
    mqtt: side.mqtt,
    broker: side.broker,
    ...rest,
  };
}

async function createMedia(config: CloudConfig, opts: StartCloudOptions, clock: Clock, log: Logger) {
  const mediaDir = join(config.dataDir, "media");
  const tmpDir = join(config.dataDir, "tmp");
  await mkdir(mediaDir, { recursive: true });
  // Uploads spool next to the media (same disk, not a small tmpfs); whatever a crash left there is garbage.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const mediaLog = log.child({ ns: "cloud.media" });
  const swept = await sweepStaging(mediaDir);
  if (swept > 0) mediaLog.info({ swept }, "removed staging files left by a crash");
  const transcoder = await createFfmpegTranscoder(opts.env ?? process.env, { clock, log: mediaLog });
  const tts = await detectTts({ clock });
  mediaLog.info({ tts: tts.id }, "text-to-speech engine");
  const pipeline = new MeteredMediaPipeline({
    transcoder,
    tts,
    mediaDir,
    tmpDir,
    clock,
    log: mediaLog,
    options: { maxBytes: config.maxUploadMb * 1024 * 1024, maxDurationS: config.maxDurationS },
  });
  return { pipeline, mediaDir, tmpDir };
}

interface MetricParts {
  store: Store;
  side: Awaited<ReturnType<typeof createMqttSide>>;
  pipeline: MeteredMediaPipeline;
  feed: LiveFeed;
  commands: CommandCenter;
  delivery: DeliveryPart | undefined;
}

function newMetrics(p: MetricParts): CloudMetrics {
  const { presence, broker, mqtt } = p.side;
  const delivery = p.delivery;
  const metrics = new CloudMetrics({
    devices: () => deviceCounts(p.store, presence),
    ...(broker ? { broker: () => broker.stats.snapshot() } : {}),
    mqtt: () => mqtt.stats(),
    mediaLoad: () => p.pipeline.load,
    // Each open SSE stream is one subscriber of the feed.
    sseClients: () => p.feed.subscribers,
    commandsTracked: () => p.commands.size,
    ...(delivery ? { delivery: () => delivery.stats(), plansPublished: () => plansPublishedOf(delivery.stats()) } : {}),
  });
  p.pipeline.observe(metrics);
  return metrics;
}

/** delivery's `plansPublished` (DeliveryStats); undefined from a factory that does not report it. */
function plansPublishedOf(stats: Record<string, unknown>): number | undefined {
  return typeof stats.plansPublished === "number" ? stats.plansPublished : undefined;
}

/** Provisioned devices only: presence may still hold one just deleted. */
function deviceCounts(store: Store, presence: Presence): { total: number; online: number; fault: number } {
  return { total: store.catalog.data().devices.length, ...presence.liveCounts(knownDevices(store.catalog)) };
}

function wireFeed(log: Logger, presence: Presence, commands: CommandCenter, delivery: DeliveryPart | undefined): LiveFeed {
  const feed = new LiveFeed(log.child({ ns: "cloud.stream" }));
  const translator = new PresenceTranslator(feed);
  presence.onChange((c) => translator.onChange(c));
  commands.onChange((s) => feed.publish({ type: "command", deviceId: s.deviceId, data: commandData(s) }));
  delivery?.onChange((c) => {
    const { deviceId, broadcastId } = c;
    feed.publish({ type: "play", ...(typeof deviceId === "string" ? { deviceId } : {}), ...(typeof broadcastId === "string" ? { broadcastId } : {}), data: { ...c } });
  });
  return feed;
}

async function runClosers(closers: Closer[], log: Logger): Promise<void> {
  for (const [name, close] of closers.splice(0).reverse()) {
    try {
      await close();
      log.debug({ part: name }, "closed");
    } catch (err) {
      log.error({ part: name, err: errorMessage(err) }, "close failed");
    }
  }
}
