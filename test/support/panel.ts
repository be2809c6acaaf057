/**
 * Whole checked flows of the web panel (ARCHITECTURE §7) that the desktop (test/panel.test.ts) and the phone
 * (test/panel-phone.test.ts) suites both run: each drives the page the way a person does and asserts what
 * they must see. Screenshots are taken at the moment named by `shot` (test-output/screenshots/).
 */
import { readFile } from "node:fs/promises";
import { expect } from "vitest";
import { toneWav } from "../../firmware-sim/src/demo/tone-wav.js";
import type { PanelBrowser } from "../fixtures/panel-browser.js";
import { api, type PanelEnv } from "../fixtures/panel-harness.js";
import { broadcastNow, uploadBulletin } from "../fixtures/panel-steps.js";
import { fleetControl } from "./fleet-process.js";

export const XSS = "<img src=x onerror=window.__xss=1>";

/** The page's full width: nothing may force sideways scrolling on a phone. */
export async function scrollWidth(b: PanelBrowser): Promise<number> {
  return (await b.page.evaluate("document.scrollingElement.scrollWidth")) as number;
}

/** Upload a 4 s tone with the file picker: the progress bar moves, then the card shows it ready with a player. */
export async function uploadWithProgress(b: PanelBrowser, env: PanelEnv, title: string): Promise<void> {
  const { page } = b;
  // Browser-side code goes as text: this project type-checks without the DOM library.
  await page.evaluate(`(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[role="progressbar"]');
      if (bar) window.__progress.push(bar.getAttribute("aria-valuenow"));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  })()`);
  await uploadBulletin(page, env.url, title, toneWav({ seconds: 4, freqHz: 440 }));
  expect(((await page.evaluate("window.__progress")) as string[]).length).toBeGreaterThan(0);
  const card = page.locator(".bulletin", { hasText: title });
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
}

/** A title with markup shows as text and runs nothing. */
export async function titleStaysText(b: PanelBrowser, env: PanelEnv): Promise<void> {
  const { page } = b;
  await uploadBulletin(page, env.url, XSS, toneWav({ seconds: 1, freqHz: 330 }));
  const title = page.locator(".bulletin-title", { hasText: "<img src=x" });
  await expect.poll(() => title.textContent()).toBe(XSS);
  expect(await page.locator(".bulletin-title img").count()).toBe(0);
  expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
}

/**
 * "Phát ngay" of `bulletin` on `area`: the broadcast's page lists `receivers` rows and shows every one reach
 * "finished" live, without leaving or reloading the page.
 */
export async function broadcastFollowedToFinished(b: PanelBrowser, env: PanelEnv, bulletin: string, area: string, receivers: number, shot: string): Promise<void> {
  const { page } = b;
  await broadcastNow(page, env.url, bulletin, area);
  const rows = page.locator(".progress-table tbody tr");
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(receivers);
  const url = page.url();
  await expect.poll(() => page.locator('.progress-table tr[data-status="finished"]').count(), { timeout: 45_000, interval: 500 }).toBe(receivers);
  expect(page.url()).toBe(url);
  await b.shot(shot);
}

/** Inject an amplifier fault in receiver `index`: its row turns "fault" within 8 s without reloading; then clear it. */
export async function ampFaultShows(b: PanelBrowser, env: PanelEnv, index: number, shot: string): Promise<void> {
  const { page } = b;
  await page.goto(`${env.url}/#/devices`);
  const id = env.fleet?.provision.receivers[index]?.deviceId ?? "";
  const row = page.locator(`tr[data-device="${id}"]`);
  await expect.poll(() => row.getAttribute("data-state"), { timeout: 15_000 }).toBe("online");
  const started = Date.now();
  await fleetControl(env.fleet).post(`/receivers/${id}/fault`, { name: "over_temperature", on: true });
  await expect.poll(() => row.getAttribute("data-state"), { timeout: 8_000, interval: 100 }).toBe("fault");
  expect(Date.now() - started).toBeLessThan(8_000);
  expect(await row.locator('[data-col="faults"]').textContent()).toContain("Âm ly quá nóng");
  await b.shot(shot);
  await fleetControl(env.fleet).post(`/receivers/${id}/clear`);
  await expect.poll(() => row.getAttribute("data-state"), { timeout: 10_000 }).toBe("online");
}

/** Set receiver `index`'s volume to 40 from its page: the command's entry shows the receiver's answer. */
export async function volumeRoundTrip(b: PanelBrowser, env: PanelEnv, index: number, shot: string): Promise<void> {
  const { page } = b;
  const id = env.fleet?.provision.receivers[index]?.deviceId ?? "";
  await page.goto(`${env.url}/#/devices/${id}`);
  await page.locator("#cmd-volume").fill("40");
  await page.getByRole("button", { name: "Đặt âm lượng" }).click();
  const entry = page.locator('.cmd[data-type="set_volume"]').first();
  await expect.poll(() => entry.getAttribute("data-status"), { timeout: 15_000 }).toBe("ok");
  // The receiver answers with the volume it will play at (the amplifier itself is idle and off).
  expect(await entry.textContent()).toContain("đã xong ✓ (âm lượng: 40)");
  const cmd = await api<{ status: string; result: { volume: number } }>(env, "GET", `/api/v1/devices/${id}/commands/${(await entry.getAttribute("data-cmd")) ?? ""}`);
  expect(cmd).toMatchObject({ status: "ok", result: { volume: 40 } });
  await b.shot(shot);
}

/** Reports: at least `minPlays` rows, then "Tải CSV" downloads a header and one row per play of the same period. */
export async function csvHasRows(b: PanelBrowser, env: PanelEnv, minPlays: number, shot: string): Promise<void> {
  const { page } = b;
  await page.goto(`${env.url}/#/reports`);
  await expect.poll(() => page.locator(".plays-table tbody tr").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(minPlays);
  await b.shot(shot);
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#csv-link").click()]);
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.trim().split(/\r?\n/);
  // The same period as the panel asked the CSV for.
  const period = new URL((await page.locator("#csv-link").getAttribute("href")) ?? "", env.url).searchParams;
  const q = `from=${encodeURIComponent(period.get("from") ?? "")}&to=${encodeURIComponent(period.get("to") ?? "")}`;
  const { items } = await api<{ items: { playId: string; status: string }[] }>(env, "GET", `/api/v1/plays?limit=1000&${q}`);
  expect(items.length).toBeGreaterThanOrEqual(minPlays);
  // A header, then one row per play, in the panel's language.
  expect(lines.length).toBe(items.length + 1);
  expect(lines[0]).toContain("Thiết bị");
  for (const p of items) expect(csv).toContain(p.playId);
  expect(lines.filter((l) => l.includes("Đã phát xong")).length).toBe(items.filter((p) => p.status === "finished").length);
}

/**
 * Open receiver `index`'s page in a freshly loaded tab after it has been sending telemetry: the charts draw
 * at least the samples the cloud's history route held before the page opened. The tab gets no live stream
 * meanwhile, so every sample drawn is history; counting live samples against the page's load time instead
 * failed whenever a slow load let as many arrive live as history held.
 */
export async function chartsShowHistory(b: PanelBrowser, env: PanelEnv, index: number, shot: string): Promise<void> {
  const { page } = b;
  const id = env.fleet?.provision.receivers[index]?.deviceId ?? "";
  const { items } = await api<{ items: { at: string }[] }>(env, "GET", `/api/v1/devices/${id}/telemetry`);
  expect(items.length).toBeGreaterThanOrEqual(5);
  // A stream that says nothing and asks the tab to retry in a minute: no live sample reaches it.
  await page.route("**/api/v1/stream", (route) => route.fulfill({ status: 200, contentType: "text/event-stream", body: "retry: 60000\n\n" }));
  try {
    await page.goto(`${env.url}/#/devices/${id}`);
    // A reload empties the tab's own memory of live samples: whatever is drawn comes from the cloud.
    await page.reload();
    const hint = page.locator("#dev-charts ~ .hint");
    await expect.poll(async () => Number((await hint.getAttribute("data-samples")) ?? 0), { timeout: 10_000 }).toBeGreaterThanOrEqual(items.length);
    // The volume chart is a line through one point per sample (M then an L per further point).
    const d = (await page.locator(".spark", { hasText: "Âm lượng" }).locator("path").getAttribute("d")) ?? "";
    expect((d.match(/[ML]/g) ?? []).length).toBeGreaterThanOrEqual(items.length);
    await b.shot(shot);
  } finally {
    // Back to a live tab for the next flows.
    await page.unroute("**/api/v1/stream");
    await page.reload();
  }
}
