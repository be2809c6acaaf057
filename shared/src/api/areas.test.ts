/** isKnownZone: same answers as Intl.DateTimeFormat, without building one for the usual zones (footprint). */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TZ } from "../model.js";
import { formatterAccepts, isKnownZone } from "./areas.js";

const RealFormat = Intl.DateTimeFormat;

/** Counts `new Intl.DateTimeFormat(...)` until restored. */
function countFormatters(): { readonly count: number } {
  const seen = { count: 0 };
  Intl.DateTimeFormat = new Proxy(RealFormat, {
    construct(target, args: ConstructorParameters<typeof RealFormat>) {
      seen.count++;
      return new target(...args);
    },
  });
  return seen;
}

describe("isKnownZone", () => {
  afterEach(() => {
    Intl.DateTimeFormat = RealFormat;
  });

  it("accepts the default and the canonical zones without building an Intl.DateTimeFormat", () => {
    const seen = countFormatters();
    expect(isKnownZone(DEFAULT_TZ)).toBe(true);
    expect(isKnownZone("Asia/Bangkok")).toBe(true);
    expect(seen.count).toBe(0);
    // "UTC" is not in ICU's canonical list: the full check answers.
    expect(isKnownZone("UTC")).toBe(true);
    expect(seen.count).toBe(1);
  });

  it("every name the shortcut accepts is one Intl.DateTimeFormat accepts", () => {
    for (const tz of [DEFAULT_TZ, ...Intl.supportedValuesOf("timeZone")]) expect(formatterAccepts(tz), tz).toBe(true);
  });

  it("other spellings and aliases still go to Intl; unknown zones are refused", () => {
    expect(isKnownZone("asia/ho_chi_minh")).toBe(true);
    expect(isKnownZone("Etc/UTC")).toBe(true);
    expect(isKnownZone("Mars/Base")).toBe(false);
    expect(isKnownZone("")).toBe(false);
    expect(isKnownZone("Asia/Ho_Chi_Minh ")).toBe(false);
  });
});
