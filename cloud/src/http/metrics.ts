/**
 * `/metrics` in the Prometheus text format (ARCHITECTURE §7), on a registry of its own (never prom-client's
 * global one, so several clouds can run in one test process). Live values (devices online, broker and
 * MQTT counters, delivery stats) are read from their owners at scrape time; HTTP, media and journal
 * figures are observed as they happen. Names and meanings: docs/cloud.md "Metrics".
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from "prom-client";
import type { BrokerCounters } from "../broker/stats.js";
import type { CloudMqttStats } from "../adapters/mqtt/cloud-mqtt-client.js";
import type { MediaTimings } from "../media/pipeline.js";
import type { JournalEntry } from "../ports/store.js";

export interface MetricsSources {
  devices(): { total: number; online: number; fault: number };
  /** Embedded broker counters; absent with an external broker. */
  broker?: () => Readonly<BrokerCounters>;
  mqtt?: () => CloudMqttStats;
  /** Delivery's stats(); every finite number in it becomes `loa_delivery{stat}`. */
  delivery?: () => Record<string, unknown>;
  /** Plans published so far (a counter), when delivery reports it. */
  plansPublished?: () => number | undefined;
  sseClients?: () => number;
  mediaLoad?: () => { running: number; queued: number };
  commandsTracked?: () => number;
  /** Add process metrics (CPU, memory, event loop lag); default true. */
  processMetrics?: boolean;
}

/** A counter whose value is kept elsewhere (a monotonic number): each scrape adds what it grew by. */
function mirrorCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Array<[LabelValues<L>, number]>): void {
  const last = new Map<string, number>();
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const delta = value - (last.get(key) ?? 0);
        // A source that restarted from 0 (a new MQTT client) just starts adding again from its new value.
        if (delta > 0) this.inc(labels, delta);
        last.set(key, value);
      }
    },
  });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Array<[LabelValues<L>, number]>): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

export class CloudMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<"route" | "method" | "status">;
  private readonly mediaStage: Histogram<"stage">;
  private readonly mediaFailures: Counter<"code">;
  private readonly journalEntries: Counter<"kind">;
  private readonly loginFailures: Counter;
  private readonly sseDrops: Counter;

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    if (sources.processMetrics !== false) collectDefaultMetrics({ register: r, prefix: "loa_" });
    this.httpDuration = new Histogram({ name: "loa_http_request_duration_seconds", help: "HTTP requests by route, method and status", labelNames: ["route", "method", "status"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120], registers: [r] });
    this.mediaStage = new Histogram({ name: "loa_media_pipeline_duration_seconds", help: "Media pipeline time per stage (queue, probe, measure, encode, total) of accepted audio", labelNames: ["stage"], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600], registers: [r] });
    this.mediaFailures = new Counter({ name: "loa_media_rejected_total", help: "Audio refused or failed in the media pipeline, by error code", labelNames: ["code"], registers: [r] });
    this.journalEntries = new Counter({ name: "loa_journal_entries_total", help: "Journal entries written, by kind (event = device events ingested)", labelNames: ["kind"], registers: [r] });
    this.loginFailures = new Counter({ name: "loa_http_login_failures_total", help: "Failed panel/API logins", registers: [r] });
    this.sseDrops = new Counter({ name: "loa_sse_dropped_clients_total", help: "SSE clients dropped for reading too slowly", registers: [r] });
    this.liveMetrics();
  }

  private liveMetrics(): void {
    const r = this.registry;
    const s = this.sources;
    gauge(r, "loa_devices", "Provisioned devices by state (online, offline, fault)", ["state"], () => {
      const d = s.devices();
      return [[{ state: "online" }, d.online - d.fault], [{ state: "fault" }, d.fault], [{ state: "offline" }, d.total - d.online]];
    });
    gauge(r, "loa_devices_online", "Devices online now (fault included)", [], () => [[{}, s.devices().online]]);
    if (s.broker) this.brokerMetrics(s.broker);
    if (s.mqtt) this.mqttMetrics(s.mqtt);
    if (s.sseClients) gauge(r, "loa_sse_clients", "Open SSE streams", [], () => [[{}, s.sseClients?.() ?? 0]]);
    if (s.mediaLoad) gauge(r, "loa_media_jobs", "Media jobs running and waiting", ["state"], () => { const l = s.mediaLoad?.() ?? { running: 0, queued: 0 }; return [[{ state: "running" }, l.running], [{ state: "queued" }, l.queued]]; });
    if (s.commandsTracked) gauge(r, "loa_commands_tracked", "Remote commands remembered (pending and recent)", [], () => [[{}, s.commandsTracked?.() ?? 0]]);
    if (s.delivery) gauge(r, "loa_delivery", "Delivery figures (plans, media, plays) from the dispatcher's stats()", ["stat"], () => numericFields(s.delivery?.() ?? {}).map(([k, v]) => [{ stat: k }, v]));
    if (s.plansPublished) mirrorCounter(r, "loa_plans_published_total", "Device plans published", [], () => { const n = s.plansPublished?.(); return n === undefined ? [] : [[{}, n]]; });
  }

  private brokerMetrics(read: () => Readonly<BrokerCounters>): void {
    const r = this.registry;
    gauge(r, "loa_mqtt_broker_clients", "Clients connected to the embedded broker", [], () => [[{}, read().connected]]);
    mirrorCounter(r, "loa_mqtt_broker_messages_in_total", "PUBLISH packets the embedded broker accepted from clients", [], () => [[{}, read().messagesIn]]);
    mirrorCounter(r, "loa_mqtt_broker_messages_out_total", "Messages the embedded broker delivered to subscribers", [], () => [[{}, read().messagesOut]]);
    mirrorCounter(r, "loa_mqtt_auth_failures_total", "MQTT logins refused (unknown device, wrong token, foreign client id)", [], () => [[{}, read().authFailures]]);
    mirrorCounter(r, "loa_mqtt_denied_total", "Publishes and subscriptions refused by the access rule", ["action"], () => [[{ action: "publish" }, read().deniedPublishes], [{ action: "subscribe" }, read().deniedSubscribes]]);
  }

  private mqttMetrics(read: () => CloudMqttStats): void {
    const r = this.registry;
    gauge(r, "loa_mqtt_connected", "1 while the cloud's MQTT client is connected", [], () => [[{}, read().connected ? 1 : 0]]);
    mirrorCounter(r, "loa_mqtt_messages_in_total", "Valid device messages the cloud received, by kind", ["kind"], () => Object.entries(read().received).map(([kind, n]) => [{ kind }, n]));
    mirrorCounter(r, "loa_mqtt_messages_out_total", "Messages the cloud published (plans, commands, acks, media, time)", [], () => [[{}, read().published]]);
    mirrorCounter(r, "loa_mqtt_invalid_messages_total", "Device messages dropped as invalid, by kind", ["kind"], () => Object.entries(read().invalid).map(([kind, n]) => [{ kind }, n]));
    mirrorCounter(r, "loa_mqtt_publish_errors_total", "Publishes by the cloud that failed", [], () => [[{}, read().publishErrors]]);
  }

  /** Times every request by its route pattern (not the raw path, which would explode the label set). */
  httpMiddleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const start = process.hrtime.bigint();
      res.once("finish", () => {
        if (res.getHeader("content-type")?.toString().startsWith("text/event-stream")) return;
        const route = routeOf(req);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        this.httpDuration.observe({ route, method: req.method, status: String(res.statusCode) }, seconds);
      });
      next();
    };
  }

  observeMedia(t: MediaTimings): void {
    const stages: Array<[string, number]> = [["queue", t.queueMs], ["probe", t.probeMs], ["measure", t.measureMs], ["encode", t.encodeMs], ["total", t.totalMs]];
    for (const [stage, ms] of stages) this.mediaStage.observe({ stage }, ms / 1000);
  }

  mediaRejected(code: string): void {
    this.mediaFailures.inc({ code });
  }

  journalAppended(entries: readonly JournalEntry[]): void {
    for (const e of entries) {
      this.journalEntries.inc({ kind: e.kind });
      if (e.kind === "audit" && e.action === "auth.login_failed") this.loginFailures.inc();
    }
  }

  sseDropped(): void {
    this.sseDrops.inc();
  }

  /** GET /metrics */
  handler(): RequestHandler {
    return (_req: Request, res: Response, next: NextFunction) => {
      this.registry.metrics().then((text) => {
        res.setHeader("Content-Type", this.registry.contentType);
        res.setHeader("Cache-Control", "no-store");
        res.end(text);
      }, next);
    };
  }
}

function routeOf(req: Request): string {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === "string" ? `${req.baseUrl}${path}` : "(unmatched)";
}

function numericFields(o: Record<string, unknown>, prefix = ""): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === "number" && Number.isFinite(v)) out.push([prefix + k, v]);
    else if (v && typeof v === "object" && !Array.isArray(v) && prefix === "") out.push(...numericFields(v as Record<string, unknown>, `${k}.`));
  }
  return out;
}
