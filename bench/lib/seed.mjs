/**
 * Setting a cloud up for a benchmark, which is not what is measured: an area tree through the REST API,
 * then receivers written straight into the catalogue (openStore, the cloud stopped) with tokens we know,
 * because provisioning 10,000 receivers one POST at a time would spend the time budget on setup. The
 * records are what `POST /api/v1/devices` stores (tokenHash = sha256 of the token, ARCHITECTURE §3 Auth).
 * The fleet state file lets `startFleet` reuse them instead of provisioning (firmware-sim state-file.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openStore } from "../../cloud/dist/adapters/store/index.js";

/** A district with `communes` communes of `villagesPerCommune` villages each, under the root province. */
export async function seedAreas(api, { communes = 2, villagesPerCommune = 5 } = {}) {
  const { items } = await api.get("/api/v1/areas");
  const root = items.find((a) => a.parentId === null);
  if (!root) throw new Error("the cloud has no root area");
  const district = await api.post("/api/v1/areas", { name: "Huyện Bench", parentId: root.id, kind: "district" });
  const villageIds = [];
  const communeIds = [];
  for (let c = 1; c <= communes; c++) {
    const commune = await api.post("/api/v1/areas", { name: `Xã ${c}`, parentId: district.id, kind: "commune" });
    communeIds.push(commune.id);
    for (let v = 1; v <= villagesPerCommune; v++) {
      const village = await api.post("/api/v1/areas", { name: `Thôn ${c}.${v}`, parentId: commune.id, kind: "village" });
      villageIds.push(village.id);
    }
  }
  return { provinceId: root.id, districtId: district.id, communeIds, villageIds };
}

/**
 * `count` receivers spread over `villageIds`, written into the catalogue at `dataDir` (no cloud running on
 * it). Returns `{deviceId, name, areaId, token}` for each.
 */
export async function seedDevices(dataDir, { count, villageIds, prefix = "bench" }) {
  const now = new Date().toISOString();
  const records = [];
  for (let i = 0; i < count; i++) {
    const deviceId = `dev_${prefix}_${String(i + 1).padStart(5, "0")}`;
    const token = randomBytes(32).toString("base64url");
    const areaId = villageIds[i % villageIds.length];
    records.push({ deviceId, name: `${prefix}-${String(i + 1).padStart(5, "0")}`, areaId, token });
  }
  const store = await openStore({ dataDir });
  try {
    await store.catalog.update((draft) => {
      for (const r of records) {
        draft.devices.push({ id: r.deviceId, name: r.name, areaId: r.areaId, profile: "loa-amp-v1", tokenHash: sha256Hex(r.token), createdAt: now });
      }
    });
  } finally {
    await store.close();
  }
  return records;
}

export function sha256Hex(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The fleet simulator's state file for these receivers, so `startFleet` reuses them (no provisioning). */
export async function writeFleetState(path, { cloud, mqttUrl, records }) {
  const receivers = {};
  for (const r of records) {
    receivers[r.deviceId] = {
      deviceId: r.deviceId,
      name: r.name,
      areaId: r.areaId,
      token: r.token,
      edgeConfig: { deviceId: r.deviceId, token: r.token, mqttUrl, prefix: "loa/v1", profile: "loa-amp-v1", tz: "Asia/Ho_Chi_Minh" },
      provisionedAt: new Date().toISOString(),
    };
  }
  await writeFile(path, `${JSON.stringify({ version: 1, cloud, receivers })}\n`);
}

/**
 * A bulletin stored as the media pipeline would have stored it (`media/<sha256>.opus`, ARCHITECTURE §2
 * Bulletin, content-addressed), written with the cloud stopped; for benchmarks that measure delivery, not
 * transcoding. `file` must be Opus in Ogg.
 */
export async function seedBulletin(dataDir, { file, title, areaId, durationMs }) {
  const bytes = await readFile(file);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await mkdir(join(dataDir, "media"), { recursive: true });
  await copyFile(file, join(dataDir, "media", `${sha256}.opus`));
  const id = `bul_bench_${sha256.slice(0, 12)}`;
  const store = await openStore({ dataDir });
  try {
    await store.catalog.update((draft) => {
      const admin = draft.users.find((u) => u.role === "admin");
      if (!admin) throw new Error("seed the admin first (start the cloud once)");
      draft.bulletins.push({ id, title, sha256, bytes: bytes.length, durationMs, codec: "opus", loudnessLufs: -16, source: "upload", areaId, createdBy: admin.id, createdAt: new Date().toISOString() });
    });
  } finally {
    await store.close();
  }
  return { id, sha256, bytes: bytes.length, durationMs };
}
