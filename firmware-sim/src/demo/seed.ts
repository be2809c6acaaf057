/**
 * Seeding the demo's cloud through the REST API only (ARCHITECTURE §7), as an administrator would from a
 * script. Every step is find-or-create, so a second run (or a run after one that was interrupted halfway)
 * never makes duplicates: areas by parent and name, users by username, bulletins by title, the daily
 * broadcast by bulletin and cron.
 */
import { Area, AreaList, BulletinCreated, BulletinList, UserList, UserView } from "@loa/shared";
import { CloudApiError, type RestClient } from "../fleet/rest-client.js";
import { demoPassword, type DemoFile, type DemoLogin } from "./demo-file.js";
import { toneWav } from "./tone-wav.js";

/** A district of Lào Cai with two communes and their villages (names with their diacritics). */
export const DEMO_TREE = {
  province: "Tỉnh Lào Cai",
  district: "Huyện Bảo Thắng",
  communes: [
    { name: "Xã Phong Niên", staff: "canbo.phongnien", villages: ["Thôn Phong Hải", "Thôn Làng Mới", "Thôn Cốc Sâm"] },
    { name: "Xã Xuân Quang", staff: "canbo.xuanquang", villages: ["Thôn Bắc Ngầm", "Thôn Khe Mụ"] },
  ],
  operator: "vanhanh",
} as const;

export const DEMO_BULLETINS = [
  {
    title: "Thông báo tiêm chủng mở rộng",
    text: "Thông báo của Ủy ban nhân dân xã. Sáng thứ bảy tuần này, trạm y tế xã tổ chức tiêm chủng mở rộng cho trẻ em dưới năm tuổi. Đề nghị các gia đình đưa trẻ đến đúng giờ.",
  },
  {
    title: "Phòng chống mưa lũ",
    text: "Dự báo trong hai ngày tới có mưa to. Bà con không đi qua ngầm tràn, không vào rừng, chằng chống nhà cửa và theo dõi thông tin trên loa truyền thanh.",
  },
] as const;

export interface SeededAreas {
  provinceId: string;
  districtId: string;
  communeIds: string[];
  villageIds: string[];
}

export interface SeedResult {
  areas: SeededAreas;
  bulletinIds: string[];
  /** How each bulletin was made: text-to-speech, or a tone when no TTS engine is installed. */
  bulletinSource: "tts" | "tone";
  created: { areas: number; users: number; bulletins: number };
}

async function findOrCreateArea(api: RestClient, all: Area[], parentId: string, kind: Area["kind"], name: string, created: { areas: number }): Promise<string> {
  const found = all.find((a) => a.parentId === parentId && a.kind === kind && a.name.normalize("NFC") === name.normalize("NFC"));
  if (found) return found.id;
  const area = await api.post("/api/v1/areas", { json: { name, parentId, kind } }, Area);
  created.areas++;
  return area.id;
}

/** Province (the bootstrap's root, renamed from the placeholder "Tỉnh"), district, communes, villages. */
export async function seedAreas(api: RestClient, created: { areas: number }): Promise<SeededAreas> {
  const all = (await api.get("/api/v1/areas", AreaList)).items;
  const root = all.find((a) => a.parentId === null && a.kind === "province");
  if (!root) throw new Error("the cloud has no province at its root (the first start should have made one)");
  if (root.name === "Tỉnh") await api.request("PATCH", `/api/v1/areas/${root.id}`, { json: { name: DEMO_TREE.province } }, Area);
  const districtId = await findOrCreateArea(api, all, root.id, "district", DEMO_TREE.district, created);
  const communeIds: string[] = [];
  const villageIds: string[] = [];
  for (const c of DEMO_TREE.communes) {
    const communeId = await findOrCreateArea(api, all, districtId, "commune", c.name, created);
    communeIds.push(communeId);
    for (const v of c.villages) villageIds.push(await findOrCreateArea(api, all, communeId, "village", v, created));
  }
  return { provinceId: root.id, districtId, communeIds, villageIds };
}

/** A staff login per commune and an operator for the district; passwords kept in demo.json. */
export async function seedUsers(api: RestClient, areas: SeededAreas, demo: DemoFile, created: { users: number }): Promise<DemoLogin[]> {
  const wanted: { username: string; role: DemoLogin["role"]; areaId: string; area: string }[] = [
    ...DEMO_TREE.communes.map((c, i) => ({ username: c.staff, role: "staff" as const, areaId: areas.communeIds[i] ?? "", area: c.name })),
    { username: DEMO_TREE.operator, role: "operator", areaId: areas.districtId, area: DEMO_TREE.district },
  ];
  const existing = (await api.get("/api/v1/users", UserList)).items;
  for (const w of wanted) {
    const known = demo.users[w.username];
    const user = existing.find((u) => u.username === w.username);
    const password = known?.password ?? demoPassword();
    if (!user) {
      await api.post("/api/v1/users", { json: { username: w.username, password, role: w.role, areaId: w.areaId } }, UserView);
      created.users++;
    } else if (!known) {
      // A user of that name whose password the demo does not know (data from elsewhere): give it one.
      await api.request("PATCH", `/api/v1/users/${user.id}`, { json: { password } }, UserView);
    }
    demo.users[w.username] = { username: w.username, password, role: w.role, area: w.area };
  }
  return Object.values(demo.users);
}

/** The bulletins, by TTS when the cloud has an engine (espeak-ng), else as an uploaded tone. */
export async function seedBulletins(api: RestClient, areaId: string, created: { bulletins: number }): Promise<{ ids: string[]; source: "tts" | "tone" }> {
  const existing = (await api.get("/api/v1/bulletins", BulletinList)).items;
  const ids: string[] = [];
  let source: "tts" | "tone" = "tts";
  for (const [i, b] of DEMO_BULLETINS.entries()) {
    const found = existing.find((x) => x.title === b.title);
    if (found) {
      ids.push(found.id);
      if (found.source !== "tts") source = "tone";
      continue;
    }
    const made = await createBulletin(api, b, areaId, i);
    if (made.source !== "tts") source = "tone";
    ids.push(made.id);
    created.bulletins++;
  }
  return { ids, source };
}

async function createBulletin(api: RestClient, b: { title: string; text: string }, areaId: string, i: number): Promise<{ id: string; source: string }> {
  try {
    const r = await api.post("/api/v1/bulletins/tts", { json: { title: b.title, text: b.text, voice: "vi", areaId } }, BulletinCreated);
    return r.bulletin;
  } catch (err) {
    if (!(err instanceof CloudApiError) || err.status !== 503) throw err;
  }
  const form = new FormData();
  form.append("title", b.title);
  form.append("areaId", areaId);
  form.append("file", new Blob([toneWav({ seconds: 6 + 2 * i, freqHz: 440 + 220 * i })], { type: "audio/wav" }), `tone-${i + 1}.wav`);
  const r = await api.post("/api/v1/bulletins", { form }, BulletinCreated);
  return r.bulletin;
}
