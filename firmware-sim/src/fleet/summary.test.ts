// The one-line summary and its printer.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatSummary, startSummaryPrinter, type FleetSummary } from "./summary.js";

const base: FleetSummary = { total: 1000, running: 1000, online: 998, playing: 12, eventsSent: 34567, plays: 41, faults: 1, cut: 0, killed: 0 };

describe("formatSummary", () => {
  it("shows online, playing, plays, events and faults, with thousands separators", () => {
    expect(formatSummary(base)).toBe("fleet 998/1,000 online · 12 playing · 41 plays · 34,567 events sent · 1 fault");
  });

  it("adds cut networks and killed receivers only when there are some; singular and plural", () => {
    expect(formatSummary({ ...base, plays: 1, faults: 0, cut: 2, killed: 1 })).toBe(
      "fleet 998/1,000 online · 12 playing · 1 play · 34,567 events sent · 0 faults · 2 cut · 1 killed",
    );
  });
});

describe("startSummaryPrinter", () => {
  it("rewrites one line on a TTY and ends it when stopped", async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true });
    let n = 0;
    const stop = startSummaryPrinter({ out, read: () => ({ ...base, online: ++n }), intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 35));
    stop();
    const text = String(out.read());
    expect(text.startsWith("\rfleet 1/1,000 online")).toBe(true);
    expect(text).toContain("\x1b[K\rfleet 2/1,000 online");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
  });

  it("writes whole lines when not a TTY", async () => {
    const out = new PassThrough();
    const stop = startSummaryPrinter({ out, read: () => base, intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 35));
    stop();
    const lines = String(out.read()).trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l === formatSummary(base))).toBe(true);
  });
});
