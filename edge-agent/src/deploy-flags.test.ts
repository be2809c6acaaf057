/**
 * The receiver runs with the same node flags however it is started (docs/performance.md, footprint): the
 * systemd unit's ExecStart and the launcher's shebang name them, and the footprint benchmark reads them
 * from the unit. A flag added to one and not the other would make the benchmark measure something else.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (rel: string): string => readFileSync(new URL(rel, import.meta.url), "utf8");

/** The `--flags` between `node` and the script in a command line. */
function nodeFlags(command: string): string[] {
  const words = command.trim().split(/\s+/);
  const node = words.findIndex((w) => w === "node" || w.endsWith("/node"));
  const out: string[] = [];
  for (const w of words.slice(node + 1)) {
    if (!w.startsWith("--")) break;
    out.push(w);
  }
  return out;
}

describe("receiver node flags", () => {
  const unit = /^ExecStart=(.*)$/m.exec(read("../deploy/loa-edge.service"))?.[1] ?? "";
  const shebang = read("../bin/loa-edge.js").split("\n")[0] ?? "";

  it("the unit runs the compiled agent with small-heap flags", () => {
    expect(unit).toContain("/edge-agent/dist/main.js");
    expect(nodeFlags(unit)).toEqual(expect.arrayContaining(["--max-semi-space-size=1", "--lite-mode"]));
  });

  it("the launcher's shebang names the same flags as the unit", () => {
    expect(shebang.startsWith("#!/usr/bin/env -S node ")).toBe(true);
    expect(nodeFlags(shebang.replace(/^#!\S+ -S /, ""))).toEqual(nodeFlags(unit));
  });
});
