/**
 * The web panel on a 360×740 phone (ARCHITECTURE §7 "usable on a phone"): every main flow of the desktop
 * suite (log in, upload, text-to-speech, the XSS title, a broadcast followed to "finished", a weekly one in
 * the calendar, an amplifier fault, a volume command, the CSV, the telemetry charts' history, English and
 * back) with touch, no sideways scrolling on any screen, and Vietnam time shown even though this browser
 * runs in New York's zone. Screenshots of every main screen go to test-output/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { PHONE, loginAs, openBrowser, type PanelBrowser } from "./fixtures/panel-browser.js";
import { broadcastWeekly, makeTtsBulletin, needBroadcasts } from "./fixtures/panel-steps.js";
import { ampFaultShows, broadcastFollowedToFinished, chartsShowHistory, csvHasRows, scrollWidth, titleStaysText, uploadWithProgress, volumeRoundTrip } from "./support/panel.js";
import { requireTool } from "./support/tools.js";

const RECEIVERS = 2;
let env: PanelEnv;
let b: PanelBrowser;

/** The page is no wider than the phone (nothing forces sideways scrolling). */
async function fitsWidth(): Promise<number> {
  return scrollWidth(b);
}

async function visit(path: string, shot: string, ready: string): Promise<void> {
  await b.page.goto(`${env.url}/#${path}`);
  await b.page.locator(ready).first().waitFor();
  expect(await fitsWidth(), path).toBeLessThanOrEqual(PHONE.width);
  await b.shot(shot);
}

describe.skipIf(!requireTool("chromium"))("web panel, 360 px phone", () => {
  beforeAll(async () => {
    env = await startPanelEnv({ receivers: RECEIVERS });
    b = await openBrowser({ viewport: PHONE, isMobile: true, timezoneId: "America/New_York" });
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await env?.close();
  });

  it("logs in and shows the receivers' counts", async () => {
    await b.page.goto(`${env.url}/`);
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-login");
    await loginAs(b, env.url, "admin", ADMIN_PASSWORD);
    await expect.poll(() => b.page.locator('[data-tile="online"] strong').textContent(), { timeout: 15_000 }).toBe(String(RECEIVERS));
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-home");
  }, 60_000);

  it("uploads a bulletin with the file picker, a progress bar, and shows it ready", async () => {
    await uploadWithProgress(b, env, "Thông báo lịch tiêm chủng");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-upload");
  }, 60_000);

  it("renders a title with markup as text (no script runs)", async () => {
    await titleStaysText(b, env);
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it("makes a bulletin from typed text", async () => {
    await makeTtsBulletin(b.page, env.url, "Thông báo cắt điện", "Điện lực thông báo cắt điện từ tám giờ đến mười một giờ sáng mai.");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-bulletins");
  }, 90_000);

  it("puts it on air in a commune and follows every receiver to finished, live", async () => {
    if (!needBroadcasts(env)) return;
    await broadcastFollowedToFinished(b, env, "Thông báo cắt điện", "Xã Hòa Bình", RECEIVERS, "phone-broadcast-detail");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 90_000);

  it("schedules every morning in a village and shows it at Vietnam time in the calendar", async () => {
    if (!needBroadcasts(env)) return;
    // A village: the commune is opened in the area tree first (a tap on a phone).
    const id = await broadcastWeekly(b.page, env.url, "Thông báo cắt điện", "Thôn Đông", "07:15");
    await visit("/calendar", "phone-calendar", ".day-col");
    await b.page.getByRole("button", { name: /Tuần sau/ }).click();
    const times = b.page.locator(`.cal-item[data-broadcast="${id}"] time`);
    await expect.poll(() => times.count()).toBe(7);
    expect(new Set(await times.allTextContents())).toEqual(new Set(["07:15"]));
  }, 60_000);

  it("shows receivers as cards and a receiver's page with its controls", async () => {
    await visit("/devices", "phone-devices", "tr[data-device]");
    const id = env.fleet?.provision.receivers[0]?.deviceId ?? "";
    await visit(`/devices/${id}`, "phone-device", "#cmd-title");
    await b.page.getByRole("button", { name: "Phát tiếng thử" }).tap();
    await expect.poll(() => b.page.locator('.cmd[data-type="test_tone"]').first().getAttribute("data-status"), { timeout: 20_000 }).toBe("ok");
  }, 60_000);

  it("draws a receiver's telemetry from before its page was opened", async () => {
    await chartsShowHistory(b, env, 1, "phone-device-charts");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it("shows an amplifier fault injected in a receiver within a few seconds, without reloading", async () => {
    await ampFaultShows(b, env, 0, "phone-devices-fault");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it("sends a volume command and shows its result", async () => {
    await volumeRoundTrip(b, env, 1, "phone-device-volume");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it("downloads the proof-of-play CSV with a row per play", async () => {
    if (!needBroadcasts(env)) return;
    await csvHasRows(b, env, RECEIVERS, "phone-reports-rows");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it("fits the other screens on the phone", async () => {
    await visit("/broadcasts", "phone-broadcasts", "h1");
    await visit("/broadcasts/new", "phone-broadcast-new", ".tree");
    await visit("/reports", "phone-reports", "#csv-link");
    await visit("/admin", "phone-admin", ".admin-tree li");
    await visit("/admin/users", "phone-users", "tr[data-user]");
    await visit("/devices/new", "phone-provision", "#dn-name");
  }, 60_000);

  it("switches to English and back on the phone", async () => {
    await b.page.getByRole("button", { name: "Switch to English" }).tap();
    await b.page.getByRole("link", { name: "Receivers" }).waitFor();
    expect(await b.page.locator("html").getAttribute("lang")).toBe("en");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-en");
    await b.page.getByRole("button", { name: "Chuyển sang tiếng Việt" }).tap();
    await b.page.getByRole("link", { name: "Thiết bị" }).waitFor();
    expect(await b.page.locator("html").getAttribute("lang")).toBe("vi");
  }, 30_000);

  it("ran without a script error", () => {
    expect(b.errors).toEqual([]);
  });
});
