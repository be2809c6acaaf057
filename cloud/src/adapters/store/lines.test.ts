import { describe, expect, it } from "vitest";
import { splitLines } from "./lines.js";

async function* chunks(...parts: (string | Buffer)[]): AsyncIterable<Uint8Array> {
  for (const p of parts) {
    await Promise.resolve();
    yield typeof p === "string" ? Buffer.from(p) : p;
  }
}

async function all(src: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of splitLines(src)) out.push(l);
  return out;
}

describe("splitLines", () => {
  it("splits lines across chunk borders and yields several lines from one chunk", async () => {
    expect(await all(chunks('{"a":', '1}\n{"b"', ":2}\n{}\n{}\n"))).toEqual(['{"a":1}', '{"b":2}', "{}", "{}"]);
  });

  it("keeps a multi-byte character split between chunks intact", async () => {
    const bytes = Buffer.from("thôn Đông\n");
    const cut = bytes.indexOf(Buffer.from("ô")) + 1; // inside the two-byte "ô"
    expect(await all(chunks(bytes.subarray(0, cut), bytes.subarray(cut)))).toEqual(["thôn Đông"]);
  });

  it("yields a torn last line without newline, and empty lines as empty strings", async () => {
    expect(await all(chunks("a\n\nb\n", '{"tor'))).toEqual(["a", "", "b", '{"tor']);
    expect(await all(chunks())).toEqual([]);
  });
});
