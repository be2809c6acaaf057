import { describe, expect, it } from "vitest";
import { AreaIndex } from "../core/areas.js";
import {
  checkQuietHours,
  isQuietAt,
  QuietHoursError,
  quietHoursAt,
  quietHoursMessage,
  quietRuleOf,
} from "./index.js";
import { area, areaTree, devices, utc } from "./scheduling.fixture.js";

const HCM = "Asia/Ho_Chi_Minh";
/** Local Ho Chi Minh time on 2 March 2026 as epoch ms (UTC+7). */
const local = (h: number, m = 0): number => utc(2026, 3, 2, h, m) - 7 * 3_600_000;

describe("quiet hours rule along the area chain", () => {
  const index = new AreaIndex(areaTree());

  it("applies to the area and its descendants; the nearest definition wins", () => {
    expect(quietRuleOf(index.ancestry("v1"))).toMatchObject({ areaId: "c1", start: "22:00", end: "05:00", tz: HCM });
    expect(quietRuleOf(index.ancestry("c1"))).toMatchObject({ areaId: "c1" });
    expect(quietRuleOf(index.ancestry("v3"))).toBeNull();
  });

  it("null clears what an ancestor set", () => {
    expect(quietRuleOf(index.ancestry("v2"))).toBeNull();
    expect(quietHoursAt(index.ancestry("v2"), local(23))).toBeNull();
  });

  it("a closer rule overrides a farther one", () => {
    const tree = new AreaIndex([...areaTree(), area("v9", "c1", "village", { quietHours: { start: "12:00", end: "13:00" } })]);
    expect(quietHoursAt(tree.ancestry("v9"), local(12, 30))).toMatchObject({ areaId: "v9" });
    expect(quietHoursAt(tree.ancestry("v9"), local(23))).toBeNull();
  });

  it("wraps past midnight: 22:00–05:00", () => {
    const chain = index.ancestry("v1");
    expect(quietHoursAt(chain, local(21, 59))).toBeNull();
    expect(quietHoursAt(chain, local(22, 0))).not.toBeNull();
    expect(quietHoursAt(chain, local(23, 30))).not.toBeNull();
    expect(quietHoursAt(chain, local(2))).not.toBeNull();
    expect(quietHoursAt(chain, local(4, 59))).not.toBeNull();
    expect(quietHoursAt(chain, local(5, 0))).toBeNull();
    expect(quietHoursAt(chain, local(12))).toBeNull();
  });

  it("a play that runs into quiet hours counts", () => {
    const rule = { start: "22:00", end: "05:00", tz: HCM };
    expect(isQuietAt(rule, local(21, 50), 5 * 60_000)).toBe(false);
    expect(isQuietAt(rule, local(21, 50), 11 * 60_000)).toBe(true);
  });

  it("reads the times in the zone inherited from ancestors", () => {
    const tree = new AreaIndex([
      area("p", null, "province", { tz: "Europe/Berlin" }),
      area("c", "p", "commune", { quietHours: { start: "22:00", end: "06:00" } }),
    ]);
    // 21:30Z is 22:30 in Berlin in winter (quiet) but 04:30 next day in Ho Chi Minh.
    expect(quietHoursAt(tree.ancestry("c"), utc(2026, 1, 10, 21, 30))).toMatchObject({ tz: "Europe/Berlin" });
    expect(quietHoursAt(tree.ancestry("c"), utc(2026, 1, 10, 20, 30))).toBeNull();
  });

  it("an empty window (start = end) is never quiet", () => {
    expect(isQuietAt({ start: "00:00", end: "00:00", tz: HCM }, local(3))).toBe(false);
  });
});

describe("checkQuietHours", () => {
  const areas = areaTree();
  const devs = devices();
  const base = { areas, devices: devs, deviceIds: ["d1", "d2", "d3", "d4", "d5"] };

  it("lists each rule and occurrence in quiet hours, with the devices", () => {
    const v = checkQuietHours({ ...base, priority: "normal", occurrences: [local(6, 30), local(23), local(4)] });
    expect(v.map((x) => [x.areaId, x.localAt, x.deviceIds])).toEqual([
      ["c1", "2026-03-02 04:00", ["d1", "d2", "d4"]],
      ["c1", "2026-03-02 23:00", ["d1", "d2", "d4"]],
    ]);
    expect(v[0]).toMatchObject({ areaName: "Tân Phú", start: "22:00", end: "05:00", at: "2026-03-01T21:00:00.000Z" });
    expect(v[0]?.message).toEqual({
      vi: "Xã Tân Phú đang trong giờ yên tĩnh 22:00–05:00",
      en: "Tân Phú commune is in quiet hours 22:00–05:00",
    });
  });

  it("priority broadcasts are refused too; emergency ignores quiet hours", () => {
    expect(checkQuietHours({ ...base, priority: "priority", occurrences: [local(23)] })).toHaveLength(1);
    expect(checkQuietHours({ ...base, priority: "emergency", occurrences: [local(23)] })).toEqual([]);
  });

  it("nothing when the targets sit outside any rule", () => {
    expect(checkQuietHours({ ...base, deviceIds: ["d3", "d5"], priority: "normal", occurrences: [local(23)] })).toEqual([]);
  });

  it("QuietHoursError carries the violations in both languages", () => {
    const v = checkQuietHours({ ...base, priority: "normal", occurrences: [local(23), local(23, 30)] });
    const err = new QuietHoursError(v);
    expect(err.code).toBe("quiet_hours");
    expect(err.message).toBe("Tân Phú commune is in quiet hours 22:00–05:00 (play at 2026-03-02 23:00), and 1 more");
    expect(err.messageVi).toBe("Xã Tân Phú đang trong giờ yên tĩnh 22:00–05:00 (phát lúc 2026-03-02 23:00), và 1 trường hợp khác");
    expect(err.violations).toHaveLength(2);
  });
});

describe("quietHoursMessage", () => {
  it("keeps a name that already says what it is", () => {
    expect(quietHoursMessage({ areaName: "Xã Phú Lý", areaKind: "commune", start: "21:00", end: "06:00" })).toEqual({
      vi: "Xã Phú Lý đang trong giờ yên tĩnh 21:00–06:00",
      en: "Phú Lý commune is in quiet hours 21:00–06:00",
    });
    expect(quietHoursMessage({ areaName: "Ấp 3", areaKind: "village", start: "21:00", end: "06:00" }).en).toBe(
      "Ấp 3 is in quiet hours 21:00–06:00",
    );
    expect(quietHoursMessage({ areaName: "Bình Minh", areaKind: "village", start: "21:00", end: "06:00" }).vi).toBe(
      "Thôn Bình Minh đang trong giờ yên tĩnh 21:00–06:00",
    );
  });
});
