/**
 * The panel's start on a bad connection (cloud/web/boot.js): a module that fails to load or to run, or a
 * first answer that never comes, must not leave the page on "Đang tải…" for ever. The notice says so in
 * Vietnamese with a reload button, and the reload brings the panel once the connection is back. Playwright's
 * clock moves the page's timers (the 20 s patience) without waiting for them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startPanelEnv, type PanelEnv } from "./fixtures/panel-harness.js";
import { loginAs, openBrowser, PHONE, type PanelBrowser } from "./fixtures/panel-browser.js";
import { requireTool } from "./support/tools.js";

let env: PanelEnv;
let b: PanelBrowser | undefined;
/** Lets a held request go (a test that fails before releasing it must not leave it pending). */
let release: () => void = () => undefined;

function page() {
  if (!b) throw new Error("no browser");
  return b.page;
}
const notice = () => page().locator(".boot-notice");
const loginForm = () => page().getByLabel("Tên đăng nhập");

/** Answer requests to `pattern` only once release() is called. */
async function hold(pattern: string): Promise<void> {
  const held = new Promise<void>((resolve) => (release = resolve));
  await page().route(pattern, async (route) => {
    await held;
    await route.continue().catch(() => undefined);
  });
}

describe.skipIf(!requireTool("chromium"))("web panel start on a bad connection", () => {
  beforeAll(async () => {
    env = await startPanelEnv({ receivers: 0 });
  }, 60_000);

  afterAll(async () => {
    await env?.close();
  });

  afterEach(async () => {
    release();
    const browser = b;
    b = undefined;
    try {
      expect(browser?.errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  });

  it("says the panel could not load when one of its modules fails, keeps saying so, and the reload brings it", async () => {
    b = await openBrowser({ viewport: PHONE, isMobile: true });
    await page().clock.install();
    await page().route("**/lib/router.js", (route) => route.abort("connectionreset"));
    await page().goto(`${env.url}/`);
    await notice().waitFor();
    expect(await notice().getAttribute("data-boot")).toBe("failed");
    expect(await notice().textContent()).toContain("Không tải được bảng điều khiển");
    expect(await page().locator("#app").textContent()).toBe("Đang tải…");
    // The 20 s patience must not turn the failure into "slow".
    await page().clock.fastForward(25_000);
    expect(await notice().getAttribute("data-boot")).toBe("failed");
    await b.shot("phone-boot-failed");
    await page().unroute("**/lib/router.js");
    await notice().getByRole("button", { name: /Tải lại trang/ }).click();
    await loginForm().waitFor();
    expect(await notice().count()).toBe(0);
  }, 60_000);

  it("says the panel failed to start when a module loads but does not run", async () => {
    b = await openBrowser();
    await page().route("**/lib/router.js", (route) => route.fulfill({ contentType: "text/javascript", body: "export const broken = ;" }));
    await page().goto(`${env.url}/`);
    await notice().waitFor();
    expect(await notice().getAttribute("data-boot")).toBe("error");
    expect(await notice().textContent()).toContain("gặp lỗi khi khởi động");
    // The page's own SyntaxError is the point of this test.
    b.errors.length = 0;
  }, 60_000);

  it("says the panel is slow when the first answer does not come in 20 s, and goes away if it comes", async () => {
    b = await openBrowser();
    await page().clock.install();
    await hold("**/api/v1/me");
    await page().goto(`${env.url}/`);
    await page().locator("p.loading, p.boot").first().waitFor();
    // The page's clock also runs in real time from install: 15 s leaves 5 s for a slow machine's page load.
    await page().clock.fastForward(15_000);
    expect(await notice().count()).toBe(0);
    await page().clock.fastForward(6_000);
    await notice().waitFor();
    expect(await notice().getAttribute("data-boot")).toBe("slow");
    expect(await notice().textContent()).toContain("tải lâu hơn bình thường");
    release();
    await loginForm().waitFor();
    await expect.poll(() => notice().count()).toBe(0);
  }, 60_000);

  it("shows no notice to a signed-in user once the session is known, however long the rest takes", async () => {
    b = await openBrowser();
    await loginAs(b, env.url, "admin", ADMIN_PASSWORD);
    await page().clock.install();
    await hold("**/api/v1/devices*");
    await page().reload();
    await page().locator("h1", { hasText: "Xin chào" }).waitFor();
    await page().clock.fastForward(60_000);
    expect(await notice().count()).toBe(0);
  }, 60_000);

  it("shows no notice on a normal start, however long the page stays open", async () => {
    b = await openBrowser();
    await page().clock.install();
    await page().goto(`${env.url}/`);
    await loginForm().waitFor();
    await page().clock.fastForward(60_000);
    expect(await notice().count()).toBe(0);
  }, 60_000);
});
