import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requireTool } from "../../../test/support/tools.js";
import { isMosquittoHash, mosquittoPasswdLine, mosquittoPasswordHash, verifyMosquittoHash } from "./mosquitto-passwd.js";

describe("Mosquitto $7$ password hashes", () => {
  it("has the mosquitto_passwd layout: 101 iterations, 12-byte salt, 64-byte PBKDF2-SHA512", () => {
    const h = mosquittoPasswordHash("secret");
    const [, seven, it, salt, hash] = h.split("$");
    expect(seven).toBe("7");
    expect(it).toBe("101");
    expect(Buffer.from(salt ?? "", "base64")).toHaveLength(12);
    expect(Buffer.from(hash ?? "", "base64")).toHaveLength(64);
    expect(isMosquittoHash(h)).toBe(true);
  });

  it("verifies the right password only; a fresh salt each time", () => {
    const h = mosquittoPasswordHash("secret");
    expect(verifyMosquittoHash(h, "secret")).toBe(true);
    expect(verifyMosquittoHash(h, "Secret")).toBe(false);
    expect(mosquittoPasswordHash("secret")).not.toBe(h);
    expect(verifyMosquittoHash("$6$abc$def", "secret")).toBe(false);
    expect(verifyMosquittoHash("plain", "plain")).toBe(false);
  });

  it("refuses usernames that would corrupt the file", () => {
    const h = mosquittoPasswordHash("x");
    expect(mosquittoPasswdLine("dev_a", h)).toBe(`dev_a:${h}`);
    expect(() => mosquittoPasswdLine("a:b", h)).toThrow();
    expect(() => mosquittoPasswdLine("a\nb", h)).toThrow();
    expect(() => mosquittoPasswdLine("a", "nothash")).toThrow();
  });

  describe.skipIf(!requireTool("mosquitto_passwd"))("against mosquitto_passwd", () => {
    it("computes exactly what mosquitto_passwd wrote for the same salt, and verifies its lines", () => {
      const dir = mkdtempSync(join(tmpdir(), "loa-passwd-"));
      try {
        const file = join(dir, "passwd");
        writeFileSync(file, "");
        execFileSync("mosquitto_passwd", ["-b", file, "dev_a", "tök€n-with-utf8"]);
        const line = readFileSync(file, "utf8").trim();
        const stored = line.slice("dev_a:".length);
        expect(verifyMosquittoHash(stored, "tök€n-with-utf8")).toBe(true);
        expect(verifyMosquittoHash(stored, "token")).toBe(false);
        const salt = Buffer.from(stored.split("$")[3] ?? "", "base64");
        expect(mosquittoPasswdLine("dev_a", mosquittoPasswordHash("tök€n-with-utf8", { salt }))).toBe(line);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
