/**
 * Device credentials (ARCHITECTURE §3 Auth): MQTT username = device id, password = the device token.
 * Tokens are 256-bit random, so sha256 (hex) is a safe and fast stored form: the broker checks it on every
 * connect. The broker should authenticate with `verifyDeviceToken`.
 */
import type { Device } from "@loa/shared";
import { matchesSha256, newSecret, sha256Hex } from "./secrets.js";

export function newDeviceToken(): { token: string; tokenHash: string } {
  const token = newSecret();
  return { token, tokenHash: sha256Hex(token) };
}

export function hashDeviceToken(token: string): string {
  return sha256Hex(token);
}

/** True when `token` is the current token of `device` (constant-time). */
export function verifyDeviceToken(device: Pick<Device, "tokenHash">, token: string): boolean {
  return token.length > 0 && token.length <= 512 && matchesSha256(token, device.tokenHash);
}
