import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishContent, sha256File, stagingPath, sweepStaging } from "./content-store.js";
import { MediaError } from "./errors.js";
import { ByteLimit, spoolToFile } from "./spool.js";
import { ls } from "./testdata/inputs.fixture.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loa-store-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stage(content: string): Promise<{ staging: string; sha256: string; bytes: number }> {
  const staging = stagingPath(dir, "opus");
  await writeFile(staging, content);
  return { staging, ...(await sha256File(staging)) };
}

describe("content-addressed store", () => {
  it("hashes a file like sha256 of its bytes", async () => {
    const s = await stage("loa");
    expect(s.sha256).toBe(createHash("sha256").update("loa").digest("hex"));
    expect(s.bytes).toBe(3);
  });

  it("publishes under <sha256>.<ext>, then drops identical content without rewriting", async () => {
    const a = await stage("bulletin bytes");
    const first = await publishContent(a.staging, dir, { ...a, ext: "opus" });
    expect(first).toEqual({ path: join(dir, `${a.sha256}.opus`), duplicate: false });
    const b = await stage("bulletin bytes");
    const second = await publishContent(b.staging, dir, { ...b, ext: "opus" });
    expect(second.duplicate).toBe(true);
    expect(await ls(dir)).toEqual([`${a.sha256}.opus`]);
  });

  it("replaces a torn file of the wrong size at the content address", async () => {
    const a = await stage("the whole bulletin");
    await writeFile(join(dir, `${a.sha256}.opus`), "the wh");
    const r = await publishContent(a.staging, dir, { ...a, ext: "opus" });
    expect(r.duplicate).toBe(false);
    expect(await readFile(r.path, "utf8")).toBe("the whole bulletin");
  });

  it("sweeps staging files left by a crash, and only those", async () => {
    await stage("half");
    await writeFile(join(dir, "keep.opus"), "x");
    expect(await sweepStaging(dir)).toBe(1);
    expect(await ls(dir)).toEqual(["keep.opus"]);
    expect(await sweepStaging(join(dir, "absent"))).toBe(0);
  });
});

describe("upload byte limit", () => {
  it("passes a stream within the limit and counts its bytes", async () => {
    const dest = join(dir, "up");
    expect(await spoolToFile(Readable.from([Buffer.alloc(600), Buffer.alloc(400)]), dest, 1000)).toBe(1000);
    expect((await readFile(dest)).length).toBe(1000);
  });

  it("fails with too_big the moment the limit is crossed, and removes the partial file", async () => {
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield Buffer.alloc(400);
        }
      })(),
    );
    const err = await spoolToFile(source, join(dir, "up"), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe("too_big");
    expect(pulled).toBeLessThan(10);
    expect(await ls(dir)).toEqual([]);
  });

  it("never deletes a file it did not create", async () => {
    const dest = join(dir, "existing");
    await writeFile(dest, "someone else's");
    await expect(spoolToFile(Readable.from([Buffer.alloc(1)]), dest, 10)).rejects.toThrow(/EEXIST/);
    expect(await readFile(dest, "utf8")).toBe("someone else's");
  });

  // The file is opened before the pipeline is attached: a source that errors in that gap (an upload
  // aborted, a missing input file) must reject the spool, not escape as an uncaught 'error' event.
  it("rejects with the error of a source that fails while the file is being opened", async () => {
    const source = new Readable({ read() {} });
    const spooled = spoolToFile(source, join(dir, "up"), 1000);
    source.destroy(new Error("client aborted"));
    await expect(spooled).rejects.toThrow("client aborted");
    expect(await ls(dir)).toEqual([]);
  });

  it("rejects, not hangs, on a source destroyed before the spool starts", async () => {
    const source = new Readable({ read() {} });
    source.destroy();
    await expect(spoolToFile(source, join(dir, "up"), 1000)).rejects.toThrow(/premature close/i);
    expect(await ls(dir)).toEqual([]);
  });

  it("ByteLimit reports the bytes seen", () => {
    const limit = new ByteLimit(5);
    limit.write(Buffer.from("abc"));
    expect(limit.bytes).toBe(3);
  });
});
