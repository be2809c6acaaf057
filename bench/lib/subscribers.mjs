/**
 * Bare mqtt.js clients for baselines: each logs in with a receiver's credentials (the broker's access rule
 * lets a device subscribe to media, ARCHITECTURE §3 Auth) under its own client id (`<deviceId>:bench`), and
 * does nothing else than what the baseline needs.
 */
import { connect } from "mqtt";

/** Connect `records` as clients, `parallel` CONNECTs at a time. */
export async function connectAll(mqttUrl, records, { parallel = 200, suffix = "bench", keepalive = 60 } = {}) {
  const clients = [];
  for (let i = 0; i < records.length; i += parallel) {
    const batch = records.slice(i, i + parallel);
    clients.push(
      ...(await Promise.all(
        batch.map((r) =>
          connect(mqttUrl, { clientId: `${r.deviceId}:${suffix}`, username: r.deviceId, password: r.token, clean: true, reconnectPeriod: 0, keepalive, connectTimeout: 30_000 }),
        ).map(
          (c) =>
            new Promise((resolve, reject) => {
              c.once("connect", () => resolve(c));
              c.once("error", reject);
            }),
        ),
      )),
    );
  }
  return clients;
}

/** Close every client (no will, no waiting for in-flight messages). */
export async function endAll(clients) {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
}
