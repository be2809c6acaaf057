import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mosquittoAclText } from "./acl.js";
import { exampleCmdResError, exampleCommands, exampleEvents, examples, exampleStatusWill } from "./examples.js";
import { MAX_MEDIA_CHUNK_BYTES, MAX_PAYLOAD_BYTES } from "./limits.js";
import { validatePayload } from "./payloads.js";
import { DEVICE_TOPIC_SUFFIX, TOPIC_SPECS, type TopicKind } from "./topics.js";

/** docs/protocol.md must show exactly the fixtures and limits the code uses. */
const doc = readFileSync(fileURLToPath(new URL("../../../docs/protocol.md", import.meta.url)), "utf8");

function block(name: string): string {
  const re = new RegExp(`<!-- example: ${name} -->\\n\`\`\`jsonl?\\n([\\s\\S]*?)\\n\`\`\``);
  const m = re.exec(doc);
  if (!m?.[1]) throw new Error(`docs/protocol.md has no example block "${name}"`);
  return m[1];
}

const SINGLE: Record<string, unknown> = {
  ...examples,
  "status-will": exampleStatusWill,
  "cmdRes-error": exampleCmdResError,
};

describe("docs/protocol.md", () => {
  it.each(Object.keys(SINGLE).map((k) => [k]))("shows the %s fixture", (name) => {
    expect(JSON.parse(block(name))).toEqual(SINGLE[name]);
  });

  it("shows one line per event type and per command type, equal to the fixtures", () => {
    const lines = (name: string) => block(name).split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines("event-types")).toEqual(Object.values(exampleEvents));
    expect(lines("cmd-types")).toEqual(Object.values(exampleCommands));
  });

  it("has no example block that fails validation or is unknown", () => {
    const names = [...doc.matchAll(/<!-- example: (\S+) -->/g)].map((m) => m[1]);
    expect(names.sort()).toEqual([...Object.keys(SINGLE), "event-types", "cmd-types"].sort());
    expect(validatePayload("status", JSON.parse(block("status-will"))).ok).toBe(true);
  });

  it("lists every topic with the direction, QoS, retain flag and byte limit of the code", () => {
    for (const [kind, spec] of Object.entries(TOPIC_SPECS) as Array<[TopicKind, (typeof TOPIC_SPECS)[TopicKind]]>) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${kind}\` |`));
      expect(row, `row for ${kind}`).toBeDefined();
      const cells = (row ?? "").split("|").map((c) => c.trim());
      const topic = kind === "media" ? "`loa/v1/media/{sha256}/{index}`" : `\`loa/v1/dev/{id}/${DEVICE_TOPIC_SUFFIX[kind]}\``;
      const max = kind === "media" ? `${MAX_MEDIA_CHUNK_BYTES} (raw)` : String(MAX_PAYLOAD_BYTES[kind]);
      expect(cells.slice(2, 7)).toEqual([topic, spec.dir, String(spec.qos), spec.retain ? "yes" : "no", max]);
    }
  });

  it("shows the Mosquitto ACL the code exports", () => {
    expect(doc).toContain(`\`\`\`\n${mosquittoAclText()}\`\`\``);
  });
});
