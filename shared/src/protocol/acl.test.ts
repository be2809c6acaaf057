import { describe, expect, it } from "vitest";
import { isAllowed, mosquittoAclLines, mosquittoAclText, type AccessAction, type AccessOptions } from "./acl.js";
import { EXAMPLE_SHA256 as SHA } from "./examples.js";

const P = "publish" as const;
const S = "subscribe" as const;
const A = "dev_a";
const B = "dev_b";
const CLOUD = "loa-cloud";

/**
 * [username, action, topic, expected, mosquittoAgrees?]. The last flag is false where isAllowed checks a
 * value Mosquitto's pattern cannot (a malformed sha256 or index under a `+` level, a bare prefix).
 */
type Row = [string, AccessAction, string, boolean, boolean?];

// ARCHITECTURE §3 Auth
const TABLE: Row[] = [
  // a device publishes its own dev→cloud topics
  [A, P, `loa/v1/dev/${A}/status`, true],
  [A, P, `loa/v1/dev/${A}/telemetry`, true],
  [A, P, `loa/v1/dev/${A}/events`, true],
  [A, P, `loa/v1/dev/${A}/cmd/res`, true],
  [A, P, `loa/v1/dev/${A}/media/req`, true],
  [A, P, `loa/v1/dev/${A}/time/req`, true],
  // ... not its cloud→dev topics, not another device's, not media, never with wildcards
  [A, P, `loa/v1/dev/${A}/plan`, false],
  [A, P, `loa/v1/dev/${A}/ack`, false],
  [A, P, `loa/v1/dev/${A}/cmd`, false],
  [A, P, `loa/v1/dev/${A}/time/res`, false],
  [A, P, `loa/v1/dev/${B}/status`, false],
  [A, P, `loa/v1/dev/${B}/events`, false],
  [A, P, `loa/v1/media/${SHA}/0`, false],
  [A, P, `loa/v1/dev/${A}/+`, false],
  [A, P, `loa/v1/dev/${A}/#`, false],
  [A, P, `loa/v1/dev/${A}/status/extra`, false],
  // a device subscribes to its own cloud→dev topics
  [A, S, `loa/v1/dev/${A}/plan`, true],
  [A, S, `loa/v1/dev/${A}/ack`, true],
  [A, S, `loa/v1/dev/${A}/cmd`, true],
  [A, S, `loa/v1/dev/${A}/time/res`, true],
  // ... not its own dev→cloud topics, not another device's
  [A, S, `loa/v1/dev/${A}/status`, false],
  [A, S, `loa/v1/dev/${A}/events`, false],
  [A, S, `loa/v1/dev/${A}/cmd/res`, false],
  [A, S, `loa/v1/dev/${B}/plan`, false],
  [A, S, `loa/v1/dev/${B}/cmd`, false],
  // wildcards that reach beyond what is allowed
  [A, S, "#", false],
  [A, S, "+", false],
  [A, S, "loa/v1/#", false],
  [A, S, "loa/#", false],
  [A, S, "loa/v1/dev/+/plan", false],
  [A, S, "loa/v1/dev/+/+", false],
  [A, S, `loa/v1/dev/${A}/#`, false],
  [A, S, `loa/v1/dev/${A}/+`, false],
  [A, S, `loa/v1/dev/${A}/time/+`, false],
  [A, S, "loa/v1/+/+/plan", false],
  [A, S, "$SYS/#", false],
  // media chunks, shared by all devices
  [A, S, "loa/v1/media/+/+", true],
  [A, S, `loa/v1/media/${SHA}/+`, true],
  [A, S, `loa/v1/media/${SHA}/7`, true],
  [A, S, "loa/v1/media/+/0", true],
  [A, S, "loa/v1/media/#", false],
  [A, S, "loa/v1/media/+", false],
  [A, S, "loa/v1/media/+/+/+", false],
  [A, S, `loa/v1/media/${SHA}/#`, false],
  [A, S, "loa/v1/media/abc/+", false, false],
  [A, S, `loa/v1/media/${SHA}/007`, false, false],
  [A, S, "loa/v1/media/a+/+", false],
  // wrong prefix
  [A, P, `loa/v2/dev/${A}/status`, false],
  [A, S, `loa/v2/dev/${A}/plan`, false],
  [A, S, "loa/v2/media/+/+", false],
  [A, P, `/loa/v1/dev/${A}/status`, false],
  // malformed topics and usernames
  [A, P, "", false],
  [A, P, `loa/v1/dev/${A}/status\u0000`, false],
  ["", P, "loa/v1/dev//status", false, false],
  ["+", S, "loa/v1/dev/+/plan", false],
  ["#", S, "loa/v1/dev/#/plan", false],
  // the cloud user may do anything under the prefix, nothing outside it
  [CLOUD, P, `loa/v1/dev/${A}/plan`, true],
  [CLOUD, P, `loa/v1/dev/${A}/status`, true],
  [CLOUD, P, `loa/v1/media/${SHA}/0`, true],
  [CLOUD, S, "loa/v1/#", true],
  [CLOUD, S, "loa/v1/dev/+/status", true],
  [CLOUD, S, "loa/v1/dev/+/cmd/res", true],
  [CLOUD, S, "#", false],
  [CLOUD, S, "loa/#", false],
  [CLOUD, S, "+/v1/dev/+/status", false],
  [CLOUD, P, "other/topic", false],
  [CLOUD, P, "loa/v1/dev/+/plan", false],
  [CLOUD, P, "loa/v1", false, false],
  [CLOUD, S, "$SYS/#", false],
];

describe("isAllowed", () => {
  it("has a table of at least 25 cases", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(25);
  });

  it.each(TABLE)("%s %s %j -> %s", (user, action, topic, expected) => {
    expect(isAllowed(user, action, topic)).toBe(expected);
  });

  // ARCHITECTURE §3: prefix configurable
  it("honours a configured prefix and cloud user", () => {
    const opts: AccessOptions = { prefix: "acme/pa", cloudUser: "svc" };
    expect(isAllowed(A, P, `acme/pa/dev/${A}/status`, opts)).toBe(true);
    expect(isAllowed(A, P, `loa/v1/dev/${A}/status`, opts)).toBe(false);
    expect(isAllowed(A, S, "acme/pa/media/+/+", opts)).toBe(true);
    expect(isAllowed("svc", S, "acme/pa/#", opts)).toBe(true);
    expect(isAllowed("svc", S, "loa/v1/#", opts)).toBe(false);
    // with another cloud user configured, "loa-cloud" is just a device name
    expect(isAllowed(CLOUD, S, "acme/pa/#", opts)).toBe(false);
    expect(isAllowed(CLOUD, S, `acme/pa/dev/${CLOUD}/plan`, opts)).toBe(true);
  });
});

/**
 * A model of the exported rules read the Mosquitto way (pattern lines for all users with %u, topic lines
 * after `user`): publish needs a write rule matching the topic; a subscription is "allowed" when every topic
 * it can match is readable, i.e. it fits inside one read rule. (Mosquitto 2.0's acl_file itself accepts any
 * SUBSCRIBE and drops unreadable messages at delivery; acl.mosquitto.test.ts checks that against a real broker.)
 */
function mosquittoAllows(lines: string[], user: string, action: AccessAction, topic: string): boolean {
  if (!validForBroker(action, topic)) return false;
  const rules: Array<{ access: string; filter: string }> = [];
  let current: string | null = null;
  for (const line of lines) {
    const [word, a, b] = line.split(" ");
    if (word === "user") current = a ?? null;
    else if (word === "pattern" && a && b && !/[+#/]/.test(user)) rules.push({ access: a, filter: b.replace("%u", user) });
    else if (word === "topic" && a && b && current === user) rules.push({ access: a, filter: b });
  }
  const need = action === "publish" ? "write" : "read";
  return rules.some((r) => (r.access === need || r.access === "readwrite") && fits(topic.split("/"), r.filter.split("/")));
}

/** The broker refuses malformed names before any ACL check (MQTT-4.7.1-1..3, MQTT-3.3.2-2). */
function validForBroker(action: AccessAction, topic: string): boolean {
  if (topic === "" || topic.includes("\u0000")) return false;
  const levels = topic.split("/");
  if (action === "publish") return !/[+#]/.test(topic);
  return levels.every((l, i) => !/[+#]/.test(l) || l === "+" || (l === "#" && i === levels.length - 1));
}

/** Every topic `sub` can match is matched by `acl` (for a publish topic: `acl` matches it). */
function fits(sub: string[], acl: string[]): boolean {
  for (let i = 0; i < acl.length; i++) {
    if (acl[i] === "#") return true;
    const s = sub[i];
    if (s === undefined) return false;
    if (acl[i] === "+" ? s === "#" : s !== acl[i]) return false;
  }
  return sub.length === acl.length;
}

describe("mosquitto ACL export", () => {
  const lines = mosquittoAclLines();

  it("renders pattern lines for every direction, then the cloud user", () => {
    expect(lines).toContain("pattern write loa/v1/dev/%u/status");
    expect(lines).toContain("pattern write loa/v1/dev/%u/cmd/res");
    expect(lines).toContain("pattern write loa/v1/dev/%u/media/req");
    expect(lines).toContain("pattern write loa/v1/dev/%u/time/req");
    expect(lines).toContain("pattern read loa/v1/dev/%u/plan");
    expect(lines).toContain("pattern read loa/v1/dev/%u/time/res");
    expect(lines).toContain("pattern read loa/v1/media/+/+");
    expect(lines.slice(-2)).toEqual(["user loa-cloud", "topic readwrite loa/v1/#"]);
    expect(lines.filter((l) => l.startsWith("pattern "))).toHaveLength(11);
    expect(mosquittoAclText()).toBe(`${lines.join("\n")}\n`);
  });

  it("uses the configured prefix and cloud user", () => {
    const custom = mosquittoAclLines({ prefix: "acme/pa", cloudUser: "svc" });
    expect(custom).toContain("pattern read acme/pa/dev/%u/plan");
    expect(custom.slice(-2)).toEqual(["user svc", "topic readwrite acme/pa/#"]);
    expect(() => mosquittoAclLines({ prefix: "bad/#" })).toThrow();
  });

  // ARCHITECTURE §3 Auth: "The same rules are expressible as a Mosquitto pattern ACL"
  it.each(TABLE.filter((r) => r[4] !== false))("agrees with isAllowed: %s %s %j -> %s", (user, action, topic, expected) => {
    expect(mosquittoAllows(lines, user, action, topic)).toBe(expected);
  });
});
