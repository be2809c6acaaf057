/**
 * The web panel on a 360×740 phone (ARCHITECTURE §7 "usable on a phone"): the main flows of commune staff
 * and operators with touch, no sideways scrolling on any screen, and Vietnam time shown even though this
 * browser runs in New York's zone. Screenshots of every main screen go to test-output/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { PHONE, loginAs, openBrowser, type PanelBrowser } from "./fixtures/panel-browser.js";
import { broadcastNow, broadcastWeekly, makeTtsBulletin, needBroadcasts } from "./fixtures/panel-steps.js";
import { requireTool } from "./support/tools.js";

const RECEIVERS = 2;
let env: PanelEnv;
let b: PanelBrowser;

/** The page is no wider than the phone (nothing forces sideways scrolling). */
async function fitsWidth(): Promise<number> {
  return (await b.page.evaluate("document.documentElement.scrollWidth")) as number;
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
    await loginAs(b.page, env.url, "admin", ADMIN_PASSWORD);
    await expect.poll(() => b.page.locator('[data-tile="online"] strong').textContent(), { timeout: 15_000 }).toBe(String(RECEIVERS));
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-home");
  }, 60_000);

  it("makes a bulletin from typed text", async () => {
    await makeTtsBulletin(b.page, env.url, "Thông báo cắt điện", "Điện lực thông báo cắt điện từ tám giờ đến mười một giờ sáng mai.");
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-bulletins");
  }, 90_000);

  it("puts it on air in a village and follows every receiver to finished", async () => {
    if (!needBroadcasts(env)) return;
    await broadcastNow(b.page, env.url, "Thông báo cắt điện", "Thôn Đông");
    const rows = b.page.locator(".progress-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const total = await rows.count();
    await expect.poll(() => b.page.locator('.progress-table tr[data-status="finished"]').count(), { timeout: 45_000, interval: 500 }).toBe(total);
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await b.shot("phone-broadcast-detail");
  }, 90_000);

  it("schedules weekday mornings and shows them at Vietnam time in the calendar", async () => {
    if (!needBroadcasts(env)) return;
    const id = await broadcastWeekly(b.page, env.url, "Thông báo cắt điện", "Xã Hòa Bình", "07:15");
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
    await b.shot("phone-en");
    await b.page.getByRole("button", { name: "Chuyển sang tiếng Việt" }).tap();
    await b.page.getByRole("link", { name: "Thiết bị" }).waitFor();
  }, 30_000);

  it("ran without a script error", () => {
    expect(b.errors).toEqual([]);
  });
});
