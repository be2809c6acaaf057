import { describe, expect, it } from "vitest";
import type { CloudMqttStats } from "../adapters/mqtt/cloud-mqtt-client.js";
import { BrokerStats } from "../broker/stats.js";
import { CloudMetrics } from "./metrics.js";

const perKind = (n: number) => ({ status: n, telemetry: n, events: 0, cmdRes: 0, mediaReq: 0, timeReq: 0 });

function mqttStats(n: number): CloudMqttStats {
  return { received: perKind(n), invalid: { ...perKind(0), telemetry: 2 }, empty: 0, unknownTopic: 0, handlerErrors: 0, connected: true, connects: 1, subscribes: 1, published: 3 * n, publishErrors: 0, timeReplies: 0 };
}

describe("CloudMetrics (/metrics, ARCHITECTURE §7)", () => {
  it("reads live values at scrape time; mirrored counters follow their source", async () => {
    let n = 1;
    const broker = new BrokerStats();
    broker.inc("authFailures", 2);
    const m = new CloudMetrics({ devices: () => ({ total: 5, online: 3, fault: 1 }), broker: () => broker.snapshot(), mqtt: () => mqttStats(n), processMetrics: false, delivery: () => ({ plansPublished: 7, media: { chunksSent: 12 } }), plansPublished: () => 7 });
    let text = await m.registry.metrics();
    expect(text).toMatch(/^loa_devices_online 3$/m);
    expect(text).toMatch(/^loa_devices\{state="online"\} 2$/m);
    expect(text).toMatch(/^loa_devices\{state="fault"\} 1$/m);
    expect(text).toMatch(/^loa_devices\{state="offline"\} 2$/m);
    expect(text).toMatch(/^loa_mqtt_auth_failures_total 2$/m);
    expect(text).toMatch(/^loa_mqtt_invalid_messages_total\{kind="telemetry"\} 2$/m);
    expect(text).toMatch(/^loa_delivery\{stat="media.chunksSent"\} 12$/m);
    expect(text).toMatch(/^loa_plans_published_total 7$/m);
    n = 4;
    text = await m.registry.metrics();
    expect(text).toMatch(/^loa_mqtt_messages_in_total\{kind="telemetry"\} 4$/m);
    expect(text).toMatch(/^loa_mqtt_messages_out_total 12$/m);
    // A source that restarted lower never makes a counter go down.
    n = 2;
    text = await m.registry.metrics();
    expect(text).toMatch(/^loa_mqtt_messages_in_total\{kind="telemetry"\} 4$/m);
  });

  it("counts journal entries by kind and failed logins; media timings per stage", async () => {
    const m = new CloudMetrics({ devices: () => ({ total: 0, online: 0, fault: 0 }), processMetrics: false });
    m.journalAppended([{ kind: "event", ts: 1 }, { kind: "event", ts: 2 }, { kind: "audit", ts: 3, action: "auth.login_failed" }]);
    m.observeMedia({ queueMs: 0, probeMs: 40, measureMs: 300, encodeMs: 700, totalMs: 1040 });
    m.mediaRejected("silent");
    const text = await m.registry.metrics();
    expect(text).toMatch(/^loa_journal_entries_total\{kind="event"\} 2$/m);
    expect(text).toMatch(/^loa_http_login_failures_total 1$/m);
    expect(text).toMatch(/^loa_media_pipeline_duration_seconds_count\{stage="encode"\} 1$/m);
    expect(text).toMatch(/^loa_media_pipeline_duration_seconds_sum\{stage="total"\} 1\.04$/m);
    expect(text).toMatch(/^loa_media_rejected_total\{code="silent"\} 1$/m);
  });

  it("two instances in one process do not clash (own registries, process metrics included)", async () => {
    const a = new CloudMetrics({ devices: () => ({ total: 1, online: 1, fault: 0 }) });
    const b = new CloudMetrics({ devices: () => ({ total: 1, online: 0, fault: 0 }) });
    expect(await a.registry.metrics()).toMatch(/^loa_devices_online 1$/m);
    expect(await b.registry.metrics()).toMatch(/^loa_devices_online 0$/m);
    expect(await a.registry.metrics()).toMatch(/^loa_process_cpu_user_seconds_total /m);
  });
});
