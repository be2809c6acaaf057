/**
 * Split a byte stream into lines without holding the whole file: the journal replays files of millions of
 * lines. Splitting on the byte 0x0A is safe for UTF-8 (it never occurs inside a multi-byte character). A last
 * line without "\n" (torn by a crash) is still yielded, for the caller to judge.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const buf: Buffer = rest.length > 0 ? Buffer.concat([rest, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      yield buf.toString("utf8", start, nl);
      start = nl + 1;
    }
    // Copy the tail: it may be a view into a chunk the stream reuses.
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length > 0) yield rest.toString("utf8");
}
