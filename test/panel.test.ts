/**
 * The web panel in a real browser (ARCHITECTURE §7): Debian's chromium via playwright-core against a real
 * cloud in-process with simulated receivers (test/fixtures/panel-harness.ts). Desktop size; the phone size
 * is test/panel-phone.test.ts. Each step builds on the one before (one cloud, one browser).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toneWav } from "../firmware-sim/src/demo/tone-wav.js";
import { ADMIN_PASSWORD, api, fleetControl, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { loginAs, openBrowser, type PanelBrowser } from "./fixtures/panel-browser.js";
import { broadcastNow, broadcastWeekly, needBroadcasts, uploadBulletin, makeTtsBulletin } from "./fixtures/panel-steps.js";
import { requireTool } from "./support/tools.js";

const RECEIVERS = 3;
let env: PanelEnv;
let b: PanelBrowser;
const XSS = "<img src=x onerror=window.__xss=1>";

describe.skipIf(!requireTool("chromium"))("web panel, desktop", () => {
  beforeAll(async () => {
    env = await startPanelEnv({ receivers: RECEIVERS });
    b = await openBrowser();
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await env?.close();
  });

  it("refuses a wrong password in Vietnamese, then logs in", async () => {
    const { page } = b;
    await page.goto(`${env.url}/`);
    await page.getByLabel("Tên đăng nhập").fill("admin");
    await page.getByLabel("Mật khẩu").fill("sai-mat-khau");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Sai tên đăng nhập hoặc mật khẩu");
    await loginAs(page, env.url, "admin", ADMIN_PASSWORD);
    await expect.poll(() => page.locator('[data-tile="online"] strong').textContent(), { timeout: 15_000 }).toBe(String(RECEIVERS));
    await b.shot("desktop-home");
  }, 60_000);

  it("uploads a bulletin with a progress bar and previews it", async () => {
    const { page } = b;
    // Browser-side code goes as text: this project type-checks without the DOM library.
    await page.evaluate(`(() => {
      window.__progress = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[role="progressbar"]');
        if (bar) window.__progress.push(bar.getAttribute("aria-valuenow"));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await uploadBulletin(page, env.url, "Thông báo lịch tiêm chủng", toneWav({ seconds: 4, freqHz: 440 }));
    expect(((await page.evaluate("window.__progress")) as string[]).length).toBeGreaterThan(0);
    const card = page.locator(".bulletin", { hasText: "Thông báo lịch tiêm chủng" });
    await expect.poll(() => card.locator("dd").first().textContent()).toBe("0:04");
    await expect.poll(() => card.textContent()).toContain("LUFS");
    await expect.poll(() => card.textContent()).toContain("admin");
    // The preview player plays the stored audio (the server answers with Range support).
    const duration = (await page.evaluate(`new Promise((resolve) => {
      const a = document.querySelector(".bulletin audio");
      if (a.readyState >= 1) resolve(a.duration);
      else a.addEventListener("loadedmetadata", () => resolve(a.duration), { once: true });
    })`)) as number;
    expect(duration).toBeGreaterThan(3.5);
  }, 60_000);

  it("shows the API's Vietnamese message for a file that is not audio, and the English one in English", async () => {
    const { page } = b;
    await page.goto(`${env.url}/#/bulletins`);
    await page.getByLabel("Tiêu đề").fill("Không phải âm thanh");
    await page.locator("#bulletin-file").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("đây là văn bản, không phải âm thanh\n".repeat(50)) });
    await page.getByRole("button", { name: "Tải lên", exact: true }).click();
    const alert = page.locator("#upload-error");
    await alert.waitFor();
    const vi = (await alert.textContent()) ?? "";
    expect(vi).toMatch(/[ạảãàáâấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữự]/i);
    await page.getByRole("button", { name: "Switch to English" }).click();
    const en = (await alert.textContent()) ?? "";
    expect(en).not.toBe(vi);
    expect(en).toMatch(/audio/i);
    await page.getByRole("button", { name: "Chuyển sang tiếng Việt" }).click();
  }, 60_000);

  it("makes a text-to-speech bulletin", async () => {
    const { page } = b;
    await makeTtsBulletin(page, env.url, "Thông báo họp dân", "Kính mời bà con thôn Đông đến nhà văn hoá họp lúc bảy giờ tối nay.");
    const card = page.locator(".bulletin", { hasText: "Thông báo họp dân" });
    await expect.poll(() => card.textContent()).toContain("Giọng đọc máy");
    await b.shot("desktop-bulletins");
  }, 90_000);

  it("renders a title with markup as text (no script runs)", async () => {
    const { page } = b;
    await uploadBulletin(page, env.url, XSS, toneWav({ seconds: 1, freqHz: 330 }));
    const title = page.locator(".bulletin-title", { hasText: "<img src=x" });
    await expect.poll(() => title.textContent()).toBe(XSS);
    expect(await page.locator(".bulletin-title img").count()).toBe(0);
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
  }, 60_000);

  it("plays a bulletin now on a commune and shows every receiver reach finished, live", async () => {
    if (!needBroadcasts(env)) return;
    const { page } = b;
    await broadcastNow(page, env.url, "Thông báo lịch tiêm chủng", "Xã Hòa Bình");
    const rows = page.locator(".progress-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(RECEIVERS);
    const url = page.url();
    await expect
      .poll(() => page.locator('.progress-table tr[data-status="finished"]').count(), { timeout: 45_000, interval: 500 })
      .toBe(RECEIVERS);
    expect(page.url()).toBe(url);
    await b.shot("desktop-broadcast-detail");
  }, 90_000);

  it("schedules a weekly broadcast and shows it in the week calendar", async () => {
    if (!needBroadcasts(env)) return;
    const { page } = b;
    const id = await broadcastWeekly(page, env.url, "Thông báo họp dân", "Thôn Tây", "06:30");
    await page.goto(`${env.url}/#/calendar`);
    const items = page.locator(`.cal-item[data-broadcast="${id}"]`);
    // Every day of the week at 06:30 minus the days already past in this week.
    await expect.poll(() => items.count()).toBeGreaterThan(0);
    expect(await items.first().locator("time").textContent()).toBe("06:30");
    expect(await items.first().locator(".cal-title").textContent()).toBe("Thông báo họp dân");
    await page.getByRole("button", { name: /Tuần sau/ }).click();
    await expect.poll(() => items.count()).toBe(7);
    await b.shot("desktop-calendar");
  }, 60_000);

  it("shows an amplifier fault injected in a receiver within a few seconds, without reloading", async () => {
    const { page } = b;
    await page.goto(`${env.url}/#/devices`);
    const id = env.fleet?.provision.receivers[0]?.deviceId ?? "";
    const row = page.locator(`tr[data-device="${id}"]`);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 15_000 }).toBe("online");
    const started = Date.now();
    await fleetControl(env, `/receivers/${id}/fault`, { name: "over_temperature", on: true });
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 8_000, interval: 100 }).toBe("fault");
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await row.locator('[data-col="faults"]').textContent()).toContain("Âm ly quá nóng");
    await b.shot("desktop-devices");
    await fleetControl(env, `/receivers/${id}/clear`);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 10_000 }).toBe("online");
  }, 60_000);

  it("sends a volume command and shows its result", async () => {
    const { page } = b;
    const id = env.fleet?.provision.receivers[1]?.deviceId ?? "";
    await page.goto(`${env.url}/#/devices/${id}`);
    await page.locator("#cmd-volume").fill("40");
    await page.getByRole("button", { name: "Đặt âm lượng" }).click();
    const entry = page.locator('.cmd[data-type="set_volume"]').first();
    await expect.poll(() => entry.getAttribute("data-status"), { timeout: 15_000 }).toBe("ok");
    // The receiver answers with the volume it will play at (the amplifier itself is idle and off).
    expect(await entry.textContent()).toContain("đã xong ✓ (âm lượng: 40)");
    const cmd = await api<{ status: string; result: { volume: number } }>(env, "GET", `/api/v1/devices/${id}/commands/${(await entry.getAttribute("data-cmd")) ?? ""}`);
    expect(cmd).toMatchObject({ status: "ok", result: { volume: 40 } });
    await b.shot("desktop-device");
  }, 60_000);

  it("downloads the proof-of-play CSV with a row per play", async () => {
    if (!needBroadcasts(env)) return;
    const { page } = b;
    await page.goto(`${env.url}/#/reports`);
    await expect.poll(() => page.locator(".plays-table tbody tr").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(RECEIVERS);
    await b.shot("desktop-reports");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#csv-link").click()]);
    const path = await download.path();
    const { readFile } = await import("node:fs/promises");
    const csv = await readFile(path, "utf8");
    const lines = csv.trim().split(/\r?\n/);
    // The same period as the panel asked the CSV for.
    const period = new URL((await page.locator("#csv-link").getAttribute("href")) ?? "", env.url).searchParams;
    const q = `from=${encodeURIComponent(period.get("from") ?? "")}&to=${encodeURIComponent(period.get("to") ?? "")}`;
    const { items } = await api<{ items: { playId: string; status: string }[] }>(env, "GET", `/api/v1/plays?limit=1000&${q}`);
    expect(items.length).toBeGreaterThanOrEqual(RECEIVERS);
    // A header, then one row per play, in the panel's language.
    expect(lines.length).toBe(items.length + 1);
    expect(lines[0]).toContain("Thiết bị");
    for (const p of items) expect(csv).toContain(p.playId);
    expect(lines.filter((l) => l.includes("Đã phát xong")).length).toBe(items.filter((p) => p.status === "finished").length);
  }, 60_000);

  it("provisions a receiver and shows its edge.json once", async () => {
    const { page } = b;
    await page.goto(`${env.url}/#/devices/new`);
    await page.getByLabel("Tên máy thu").fill("Cụm loa chợ Tân Lập");
    await page.getByLabel(/Đặt tại/).selectOption({ label: "\u00a0\u00a0Xã Tân Lập" });
    await page.getByRole("button", { name: "Tạo máy thu" }).click();
    const pre = page.locator("#copy-source");
    await pre.waitFor();
    const doc = JSON.parse((await pre.textContent()) ?? "{}") as { deviceId: string; token: string; mqttUrl: string };
    expect(doc.token.length).toBeGreaterThan(20);
    expect(doc.mqttUrl).toMatch(/^mqtt:\/\//);
    await b.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Sao chép edge.json" }).click();
    expect(JSON.parse((await page.evaluate("navigator.clipboard.readText()")) as string) as unknown).toEqual(doc);
    // Once: the device page never shows the token again.
    await page.goto(`${env.url}/#/devices/${doc.deviceId}`);
    await page.locator("h1", { hasText: "Cụm loa chợ Tân Lập" }).waitFor();
    expect(await page.content()).not.toContain(doc.token);
  }, 60_000);

  it("switches to English, remembers it across a reload, and back", async () => {
    const { page } = b;
    await page.goto(`${env.url}/#/devices`);
    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("link", { name: "Receivers" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.reload();
    await page.locator("h1", { hasText: "Receivers" }).waitFor();
    await b.shot("desktop-devices-en");
    await page.getByRole("button", { name: "Chuyển sang tiếng Việt" }).click();
    await page.locator("h1", { hasText: "Máy thu" }).waitFor();
    expect(await page.evaluate('localStorage.getItem("loa.lang")')).toBe("vi");
  }, 60_000);

  it("ran without a script error", () => {
    expect(b.errors).toEqual([]);
  });
});
