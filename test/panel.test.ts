/**
 * The web panel in a real browser (ARCHITECTURE §7): Debian's chromium via playwright-core against a real
 * cloud in-process with simulated receivers (test/fixtures/panel-harness.ts). Desktop size; the phone size
 * is test/panel-phone.test.ts. Each step builds on the one before (one cloud, one browser).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { loginAs, openBrowser, type PanelBrowser } from "./fixtures/panel-browser.js";
import { broadcastWeekly, needBroadcasts, makeTtsBulletin } from "./fixtures/panel-steps.js";
import { ampFaultShows, broadcastFollowedToFinished, chartsShowHistory, csvHasRows, titleStaysText, uploadWithProgress, volumeRoundTrip } from "./support/panel.js";
import { requireTool } from "./support/tools.js";

const RECEIVERS = 3;
let env: PanelEnv;
let b: PanelBrowser;

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
    await loginAs(b, env.url, "admin", ADMIN_PASSWORD);
    await expect.poll(() => page.locator('[data-tile="online"] strong').textContent(), { timeout: 15_000 }).toBe(String(RECEIVERS));
    await b.shot("desktop-home");
  }, 60_000);

  it("uploads a bulletin with a progress bar and previews it", async () => {
    await uploadWithProgress(b, env, "Thông báo lịch tiêm chủng");
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
    await titleStaysText(b, env);
  }, 60_000);

  it("plays a bulletin now on a commune and shows every receiver reach finished, live", async () => {
    if (!needBroadcasts(env)) return;
    await broadcastFollowedToFinished(b, env, "Thông báo lịch tiêm chủng", "Xã Hòa Bình", RECEIVERS, "desktop-broadcast-detail");
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
    await ampFaultShows(b, env, 0, "desktop-devices");
  }, 60_000);

  it("sends a volume command and shows its result", async () => {
    await volumeRoundTrip(b, env, 1, "desktop-device");
  }, 60_000);

  it("draws a receiver's telemetry from before its page was opened", async () => {
    await chartsShowHistory(b, env, 2, "desktop-device-charts");
  }, 60_000);

  it("downloads the proof-of-play CSV with a row per play", async () => {
    if (!needBroadcasts(env)) return;
    await csvHasRows(b, env, RECEIVERS, "desktop-reports");
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
