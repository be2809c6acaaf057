/**
 * The panel's start on a bad connection (cloud/web/boot.js): a module that fails to load, or a first answer
 * that never comes, must not leave the page on "Đang tải…" for ever. The notice says so in Vietnamese with a
 * reload button, and the reload brings the panel once the connection is back. Playwright's clock moves the
 * page's timers (the 20 s patience) without waiting for them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { openBrowser, PHONE, type PanelBrowser } from "./fixtures/panel-browser.js";
import { requireTool } from "./support/tools.js";

let env: PanelEnv;
let b: PanelBrowser;
const notice = () => b.page.locator(".boot-notice");
const loginForm = () => b.page.getByLabel("Tên đăng nhập");

describe.skipIf(!requireTool("chromium"))("web panel start on a bad connection", () => {
  beforeAll(async () => {
    env = await startPanelEnv({ receivers: 0 });
  }, 60_000);

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async () => {
    expect(b.errors).toEqual([]);
    await b?.close();
  });

  it("says the panel could not load when one of its modules fails, and the reload brings it", async () => {
    b = await openBrowser({ viewport: PHONE, isMobile: true });
    const { page } = b;
    await page.route("**/lib/router.js", (route) => route.abort("connectionreset"));
    await page.goto(`${env.url}/`);
    await notice().waitFor();
    expect(await notice().getAttribute("data-boot")).toBe("failed");
    expect(await notice().textContent()).toContain("Không tải được bảng điều khiển");
    expect(await page.locator("#app").textContent()).toBe("Đang tải…");
    await b.shot("phone-boot-failed");
    await page.unroute("**/lib/router.js");
    await notice().getByRole("button", { name: /Tải lại trang/ }).click();
    await loginForm().waitFor();
    expect(await notice().count()).toBe(0);
  }, 60_000);

  it("says the panel is slow when the first answer does not come in 20 s, and goes away if it comes", async () => {
    b = await openBrowser();
    const { page } = b;
    await page.clock.install();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/api/v1/me", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${env.url}/`);
    await page.locator("p.loading, p.boot").first().waitFor();
    await page.clock.fastForward(19_000);
    expect(await notice().count()).toBe(0);
    await page.clock.fastForward(2_000);
    await notice().waitFor();
    expect(await notice().getAttribute("data-boot")).toBe("slow");
    expect(await notice().textContent()).toContain("tải lâu hơn bình thường");
    release();
    await loginForm().waitFor();
    await expect.poll(() => notice().count()).toBe(0);
  }, 60_000);

  it("shows no notice on a normal start, however long the page stays open", async () => {
    b = await openBrowser();
    const { page } = b;
    await page.clock.install();
    await page.goto(`${env.url}/`);
    await loginForm().waitFor();
    await page.clock.fastForward(60_000);
    expect(await notice().count()).toBe(0);
  }, 60_000);
});
