import { describe, expect, it } from "vitest";
import { EXAMPLE_SHA256 as SHA } from "@loa/shared";
import { BrokerAccess, CONNACK } from "./access.js";
import { CLOUD_PASSWORD, catalogOf, deviceWithToken } from "./test-kit.fixture.js";

const a = deviceWithToken("dev_a");
const b = deviceWithToken("dev_b");

function access(): { acc: BrokerAccess; catalog: ReturnType<typeof catalogOf> } {
  const catalog = catalogOf([a.device, b.device]);
  return { acc: new BrokerAccess({ catalog, cloudPassword: CLOUD_PASSWORD }), catalog };
}
const pw = (s: string): Buffer => Buffer.from(s, "utf8");

describe("BrokerAccess.authenticate (ARCHITECTURE §3 Auth)", () => {
  it("accepts a device with its own token and the cloud with the cloud password", () => {
    const { acc } = access();
    expect(acc.authenticate("dev_a", "dev_a", pw(a.token))).toEqual({ ok: true, role: "device" });
    expect(acc.authenticate("dev_a:boot1", "dev_a", pw(a.token))).toEqual({ ok: true, role: "device" });
    expect(acc.authenticate("loa-edge-dev_a", "dev_a", pw(a.token))).toEqual({ ok: true, role: "device" });
    expect(acc.authenticate("anything", "loa-cloud", pw(CLOUD_PASSWORD))).toEqual({ ok: true, role: "cloud" });
  });

  it("refuses wrong tokens, another device's token, unknown users, missing credentials", () => {
    const { acc } = access();
    const refused = (r: ReturnType<BrokerAccess["authenticate"]>): number | undefined => (r.ok ? undefined : r.returnCode);
    expect(refused(acc.authenticate("dev_a", "dev_a", pw("nope")))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("dev_a", "dev_a", pw(b.token)))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("dev_x", "dev_x", pw(a.token)))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("c", "loa-cloud", pw("wrong-cloud-password-000")))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("c", "loa-cloud", pw(a.token)))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("dev_a", undefined, undefined))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("dev_a", "dev_a", undefined))).toBe(CONNACK.badCredentials);
    expect(refused(acc.authenticate("dev_a", "dev_a", pw("")))).toBe(CONNACK.badCredentials);
  });

  it("refuses a device whose client id is another device's (session takeover)", () => {
    const { acc } = access();
    expect(acc.authenticate("dev_b", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
    expect(acc.authenticate("dev_a-2", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
    expect(acc.authenticate("mqttjs_1234", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
    expect(acc.authenticate("loa-edge-dev_b", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
    expect(acc.authenticate("loa-edge-dev_a-2", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
    expect(acc.authenticate("", "dev_a", pw(a.token))).toMatchObject({ ok: false, returnCode: CONNACK.identifierRejected });
  });

  it("sees a rotated token at once", () => {
    const { acc, catalog } = access();
    const next = { ...a.device, tokenHash: deviceWithToken("dev_z").device.tokenHash };
    catalog.set([next, b.device]);
    expect(acc.authenticate("dev_a", "dev_a", pw(a.token)).ok).toBe(false);
    catalog.set([b.device]);
    expect(acc.authenticate("dev_a", "dev_a", pw(a.token)).ok).toBe(false);
  });

  it("refuses a weak cloud password at construction", () => {
    expect(() => new BrokerAccess({ catalog: catalogOf([]), cloudPassword: "short" })).toThrow(/16 characters/);
  });
});

describe("BrokerAccess publish/subscribe rules", () => {
  const { acc } = access();
  it.each([
    ["dev_a", "loa/v1/dev/dev_a/status", true, true],
    ["dev_a", "loa/v1/dev/dev_a/status", false, true],
    ["dev_a", "loa/v1/dev/dev_a/events", false, true],
    ["dev_a", "loa/v1/dev/dev_a/events", true, false],
    ["dev_a", "loa/v1/dev/dev_a/telemetry", true, false],
    ["dev_a", "loa/v1/dev/dev_b/events", false, false],
    ["dev_a", "loa/v1/dev/dev_a/plan", false, false],
    ["dev_a", `loa/v1/media/${SHA}/0`, false, false],
    ["dev_a", "$SYS/broker/x", false, false],
    ["loa-cloud", "loa/v1/dev/dev_a/plan", true, true],
    ["loa-cloud", "other/topic", false, false],
  ])("%s publish %s retain=%s → %s", (user, topic, retain, expected) => {
    expect(acc.canPublish(user, topic, retain)).toBe(expected);
  });

  it.each([
    ["dev_a", "loa/v1/dev/dev_a/plan", true],
    ["dev_a", "loa/v1/media/+/+", true],
    ["dev_a", "loa/v1/dev/dev_b/plan", false],
    ["dev_a", "loa/v1/dev/+/plan", false],
    ["dev_a", "#", false],
    ["dev_a", "loa/v1/#", false],
    ["loa-cloud", "loa/v1/dev/+/status", true],
    ["loa-cloud", "#", false],
  ])("%s subscribe %s → %s", (user, filter, expected) => {
    expect(acc.canSubscribe(user, filter)).toBe(expected);
  });
});
