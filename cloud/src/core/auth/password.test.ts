import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password.js";

const cheap = { N: 1024, r: 8, p: 1 };

describe("scrypt password hashes", () => {
  it("uses the default cost and the scrypt$N$r$p$salt$hash format", async () => {
    const stored = await hashPassword("mật khẩu đúng");
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("mật khẩu đúng", stored)).toBe(true);
    expect(await verifyPassword("mật khẩu sai", stored)).toBe(false);
  });

  it("salts every hash and verifies with the cost stored in it", async () => {
    const a = await hashPassword("same password", cheap);
    const b = await hashPassword("same password", cheap);
    expect(a).not.toBe(b);
    expect(a.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same password", b)).toBe(true);
  });

  it("treats NFC and NFD spellings of a Vietnamese password as the same", async () => {
    const stored = await hashPassword("Hà Nội".normalize("NFC"), cheap);
    expect(await verifyPassword("Hà Nội".normalize("NFD"), stored)).toBe(true);
  });

  it("returns false, never throws, for malformed or abusive stored hashes", async () => {
    const good = await hashPassword("pw-pw-pw-pw", cheap);
    const parts = good.split("$");
    const variants = [
      "",
      "plain",
      "bcrypt$10$abc",
      ["scrypt", "1000", ...parts.slice(2)].join("$"), // N not a power of two
      ["scrypt", String(2 ** 24), ...parts.slice(2)].join("$"), // absurd memory
      [...parts.slice(0, 5), "c2hvcnQ"].join("$"), // truncated key
    ];
    for (const v of variants) expect(await verifyPassword("pw-pw-pw-pw", v)).toBe(false);
  });
});
