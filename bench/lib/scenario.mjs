/**
 * The common set-up of the fleet benchmarks (fanout, sync): a cloud child over a data directory seeded
 * with an area tree (through the API), `devices` receivers and the given bulletins (written while the
 * cloud is stopped, see seed.mjs), then started again, with the API as admin.
 */
import { join } from "node:path";
import { speechFile } from "./audio.mjs";
import { adminApi, spawnCloud } from "./cloud.mjs";
import { seedAreas, seedBulletin, seedDevices } from "./seed.mjs";

export const CLOUD_MQTT_PASSWORD = "bench-cloud-mqtt-password";

/** `bulletins`: seconds of speech each (Opus 32 kb/s CBR: 257 s is just under 1 MiB, 16 chunks of 64 KiB). */
export async function seededCloud({ dir, devices, bulletins = [], communes = 2, villagesPerCommune = 5, env = {} }) {
  const dataDir = join(dir, "cloud");
  const cloudEnv = { LOA_MQTT_CLOUD_PASSWORD: CLOUD_MQTT_PASSWORD, ...env };
  const first = await spawnCloud({ dataDir, env: cloudEnv });
  const areas = await seedAreas(await adminApi(first.httpUrl), { communes, villagesPerCommune });
  await first.close();
  const records = await seedDevices(dataDir, { count: devices, villageIds: areas.villageIds });
  const stored = [];
  for (const seconds of bulletins) {
    const audio = await speechFile(dir, seconds, "opus");
    stored.push(await seedBulletin(dataDir, { file: audio.path, title: `bench ${seconds} s`, areaId: areas.districtId, durationMs: seconds * 1000 }));
  }
  const cloud = await spawnCloud({ dataDir, env: cloudEnv });
  return { cloud, api: await adminApi(cloud.httpUrl), records, bulletins: stored, areas, dataDir, env: cloudEnv };
}

/**
 * `count` more receivers in the scenario's cloud: it is stopped, they are written into the catalogue, and
 * it starts again on the same ports (a benchmark round with more receivers must not pay for them before).
 */
export async function addDevices(s, count, prefix) {
  const { httpPort, mqttPort } = s.cloud;
  await s.cloud.close();
  const areas = s.areas;
  const more = await seedDevices(s.dataDir, { count, villageIds: areas.villageIds, prefix });
  s.cloud = await spawnCloud({ dataDir: s.dataDir, env: s.env, httpPort, mqttPort });
  s.api = await adminApi(s.cloud.httpUrl);
  s.records.push(...more);
  return more;
}
