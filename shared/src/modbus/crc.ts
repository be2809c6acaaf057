/**
 * CRC-16/MODBUS (ARCHITECTURE §5): reflected polynomial 0xA001, init 0xFFFF, no final xor.
 * On the wire the CRC follows the frame low byte first.
 */
const TABLE: Uint16Array = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
}

/** CRC of `bytes[start, end)` as a 16-bit number (low byte is sent first). */
export function crc16modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  }
  return crc;
}

/** A new buffer: `body` followed by its CRC, low byte first. */
export function appendCrc(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + 2);
  out.set(body, 0);
  const crc = crc16modbus(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}

/** True when the last two bytes of `frame[start, start+length)` are the CRC of the bytes before them. */
export function hasValidCrc(frame: Uint8Array, start = 0, length = frame.length - start): boolean {
  if (length < 3 || start + length > frame.length) return false;
  const end = start + length - 2;
  const crc = crc16modbus(frame, start, end);
  return frame[end] === (crc & 0xff) && frame[end + 1] === crc >>> 8;
}
