/**
 * The panel for an administrator and a commune staff member (ARCHITECTURE §2 roles and scope, §7): the
 * admin adds a village and quiet hours in the area tree and a staff user; the staff user sees only their
 * commune and no admin screens, records a bulletin from the microphone (chromium's fake one), is refused in
 * quiet hours in plain Vietnamese, and an emergency asks for confirmation, then goes through.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, api, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { loginAs, openBrowser, type PanelBrowser } from "./fixtures/panel-browser.js";
import { needBroadcasts } from "./fixtures/panel-steps.js";
import { requireTool } from "./support/tools.js";

const STAFF = { username: "canbo.tanlap", password: "mat-khau-can-bo-1" };
let env: PanelEnv;
let admin: PanelBrowser;
let staff: PanelBrowser;

describe.skipIf(!requireTool("chromium"))("web panel, admin and commune staff", () => {
  beforeAll(async () => {
    env = await startPanelEnv({ receivers: 1 });
    admin = await openBrowser();
    staff = await openBrowser({ fakeMic: true });
  }, 90_000);

  afterAll(async () => {
    await staff?.close();
    await admin?.close();
    await env?.close();
  });

  it("admin adds a village and all-day quiet hours to a commune", async () => {
    const { page } = admin;
    await loginAs(admin, env.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${env.url}/#/admin`);
    const commune = page.locator(`li[data-area="${env.otherCommuneId}"]`);
    await commune.locator(".admin-row").getByRole("button", { name: "+ Thêm cấp dưới" }).click();
    await commune.getByLabel("Tên").fill("Thôn Chợ");
    await commune.getByRole("button", { name: "Lưu" }).click();
    await commune.locator("li", { hasText: "Thôn Chợ" }).waitFor();
    await commune.locator(".admin-row").first().getByRole("button", { name: "Sửa" }).click();
    await commune.getByText("Có giờ yên tĩnh").click();
    await commune.getByLabel("Từ").fill("00:00");
    await commune.getByLabel("Đến").fill("23:59");
    await commune.getByRole("button", { name: "Lưu" }).click();
    await commune.locator(".badge", { hasText: "yên tĩnh 00:00–23:59" }).waitFor();
    await admin.shot("desktop-admin");
  }, 60_000);

  it("admin adds a staff user for that commune", async () => {
    const { page } = admin;
    await page.goto(`${env.url}/#/admin/users`);
    await page.getByRole("button", { name: "+ Thêm người dùng" }).click();
    await page.getByLabel("Tên đăng nhập", { exact: true }).fill(STAFF.username);
    await page.getByLabel("Họ và tên").fill("Nguyễn Văn An");
    await page.getByLabel("Mật khẩu", { exact: true }).fill(STAFF.password);
    await page.getByLabel("Vai trò", { exact: true }).selectOption("staff");
    await page.getByLabel("Khu vực").selectOption({ label: "\u00a0\u00a0Xã Tân Lập" });
    await page.getByRole("button", { name: "Tạo người dùng" }).click();
    const row = page.locator(`tr[data-user="${STAFF.username}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("Nguyễn Văn An");
    expect(await row.textContent()).toContain("Xã Tân Lập");
  }, 60_000);

  it("staff sees only their commune and no admin screens", async () => {
    const { page } = staff;
    await loginAs(staff, env.url, STAFF.username, STAFF.password);
    expect(await page.locator("h1").textContent()).toBe("Xin chào, Nguyễn Văn An");
    const nav = await page.locator("nav a").allTextContents();
    expect(nav).toEqual(["Trang chủ", "Bản tin", "Phát thanh", "Thiết bị", "Báo cáo"]);
    await page.goto(`${env.url}/#/devices`);
    await page.locator("h1", { hasText: "Máy thu" }).waitFor();
    expect(await page.getByRole("link", { name: "+ Thêm máy thu" }).count()).toBe(0);
    // The only receiver is in Xã Hòa Bình: none is visible here.
    await page.getByText("Không có máy thu nào phù hợp.").waitFor();
  }, 60_000);

  it("staff records a bulletin from the microphone", async () => {
    const { page } = staff;
    await page.goto(`${env.url}/#/bulletins`);
    await page.getByRole("tab", { name: "Ghi âm" }).click();
    await page.getByLabel("Tiêu đề").fill("Ghi âm thông báo");
    await page.getByRole("button", { name: /Bắt đầu ghi âm/ }).click();
    await page.getByRole("status").filter({ hasText: "Đang ghi" }).waitFor();
    await page.waitForTimeout(2500);
    await page.getByRole("button", { name: /Dừng/ }).click();
    await page.getByLabel("Nghe thử bản ghi").waitFor();
    await page.getByRole("button", { name: "Lưu bản ghi âm" }).click();
    const card = page.locator(".bulletin", { hasText: "Ghi âm thông báo" });
    await card.waitFor({ timeout: 30_000 });
    const duration = (await card.locator("dd").first().textContent()) ?? "";
    expect(duration).toMatch(/^0:0[1-4]$/);
    expect(await card.textContent()).toContain(STAFF.username);
  }, 60_000);

  it("is refused in quiet hours in plain Vietnamese; an emergency asks first, then goes through", async () => {
    if (!needBroadcasts(env)) return;
    // Quiet hours are checked on the receivers a broadcast reaches: give the commune one (offline is enough).
    const { items } = await api<{ items: { id: string; name: string }[] }>(env, "GET", "/api/v1/areas");
    const market = items.find((a) => a.name === "Thôn Chợ")?.id ?? "";
    await api(env, "POST", "/api/v1/devices", { name: "Loa chợ", areaId: market });
    const { page } = staff;
    await page.goto(`${env.url}/#/broadcasts/new`);
    const roots = page.locator(".tree > li > .tree-row label");
    await expect.poll(() => roots.allTextContents()).toEqual([expect.stringContaining("Xã Tân Lập")]);
    await page.locator(".tree").getByRole("checkbox", { name: /^Xã Tân Lập / }).check();
    await page.getByRole("button", { name: "Phát ngay" }).click();
    const refusal = page.locator("#broadcast-error");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^Xã Tân Lập đang trong giờ yên tĩnh 00:00–23:59/);
    expect(await page.getByText("Sẽ phát trên 1 máy thu.").count()).toBe(1);
    await staff.shot("desktop-quiet-hours");
    await page.getByText("Khẩn cấp", { exact: true }).click();
    await page.getByRole("button", { name: "Phát ngay" }).click();
    const dialog = page.getByRole("dialog", { name: "Phát tin KHẨN CẤP?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Hủy bỏ" }).click();
    expect(page.url()).toMatch(/#\/broadcasts\/new$/);
    await page.getByRole("button", { name: "Phát ngay" }).click();
    await dialog.getByRole("button", { name: "Xác nhận phát khẩn cấp" }).click();
    await page.waitForURL((u) => /#\/broadcasts\/[^/]+$/.test(u.hash) && !u.hash.endsWith("/new"));
    await page.locator(".badge.prio-emergency", { hasText: "Khẩn cấp" }).waitFor();
  }, 60_000);

  it("ran without a script error", () => {
    expect(admin.errors).toEqual([]);
    expect(staff.errors).toEqual([]);
  });
});
