/**
 * Just enough of MQTT 3.1.1 framing for the fleet's network switch (net-switch.ts): who a CONNECT is from
 * (its username, which is the device id, ARCHITECTURE §3 Auth) and what a CONNACK answered. Everything else
 * passes through the switch untouched.
 */

/** Remaining-length varint at `offset`: the value and the header length, or undefined while incomplete. */
function remainingLength(buf: Buffer, offset: number): { value: number; bytes: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = buf[offset + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 128 ** i;
    if ((b & 0x80) === 0) return { value, bytes: i + 1 };
  }
  throw new Error("malformed remaining length");
}

/** Length of the first complete packet in `buf`, or undefined when more bytes are needed. */
export function firstPacketLength(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  const rl = remainingLength(buf, 1);
  if (!rl) return undefined;
  const total = 1 + rl.bytes + rl.value;
  return buf.length >= total ? total : undefined;
}

export interface ConnectInfo {
  clientId: string;
  username: string | undefined;
}

/** Reads a length-prefixed field; returns it and the next offset. */
function field(buf: Buffer, at: number): { data: Buffer; next: number } {
  const len = buf.readUInt16BE(at);
  const end = at + 2 + len;
  if (end > buf.length) throw new Error("field past the end of the packet");
  return { data: buf.subarray(at + 2, end), next: end };
}

/**
 * The client id and username of a complete CONNECT packet (MQTT 3.1 and 3.1.1), or undefined when `packet`
 * is not a CONNECT we can read (MQTT 5 properties, garbage).
 */
export function parseConnect(packet: Buffer): ConnectInfo | undefined {
  try {
    if (packet[0] !== 0x10) return undefined;
    const rl = remainingLength(packet, 1);
    if (!rl) return undefined;
    const protocol = field(packet, 1 + rl.bytes);
    const level = packet[protocol.next];
    const flags = packet[protocol.next + 1];
    if ((level !== 3 && level !== 4) || flags === undefined) return undefined;
    const clientId = field(packet, protocol.next + 4);
    let at = clientId.next;
    if (flags & 0x04) at = field(packet, field(packet, at).next).next; // will topic, will message
    const username = flags & 0x80 ? field(packet, at).data.toString("utf8") : undefined;
    return { clientId: clientId.data.toString("utf8"), username };
  } catch {
    return undefined;
  }
}

/** The return code of a CONNACK (0 accepted, 4 bad username or password, 5 not authorised), else undefined. */
export function connackCode(packet: Buffer): number | undefined {
  if (packet[0] !== 0x20 || packet[1] !== 0x02 || packet.length < 4) return undefined;
  return packet[3];
}

/** CONNACK return codes that mean the device's credentials were refused. */
export const CREDENTIALS_REFUSED: ReadonlySet<number> = new Set([4, 5]);
