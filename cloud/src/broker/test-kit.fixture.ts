/** Test helpers for the broker and the cloud MQTT client: devices with known tokens, a catalogue, ports. */
import { pino } from "pino";
import type { Device } from "@loa/shared";
import { hashDeviceToken } from "../core/auth/device-tokens.js";
import { emptyCatalog, type Catalog, type CatalogData } from "../ports/store.js";
import { mosquittoPasswordHash } from "./mosquitto-passwd.js";

export const silentLog = pino({ level: "silent" });
export const CLOUD_PASSWORD = "cloud-secret-for-tests-0123456789";

/** A device record whose token is `token-<id>`, with both the sha256 and the Mosquitto hash. */
export function deviceWithToken(id: string, opts: { mqttHash?: boolean } = {}): { device: Device; token: string } {
  const token = `token-${id}-0123456789abcdef`;
  const device: Device = {
    id,
    name: `Loa ${id}`,
    areaId: "area_village",
    profile: "loa-amp-v1",
    tokenHash: hashDeviceToken(token),
    createdAt: "2026-01-01T00:00:00.000Z",
  };
  if (opts.mqttHash !== false) device.mqttHash = mosquittoPasswordHash(token);
  return { device, token };
}

/** A read-only catalogue over `devices`; `set` replaces them (token rotation, deletion). */
export function catalogOf(devices: Device[]): Pick<Catalog, "data"> & { set(devices: Device[]): void } {
  let state: CatalogData = { ...emptyCatalog(), devices };
  return {
    data: () => state,
    set: (next) => {
      state = { ...state, devices: next };
    },
  };
}

/** The one free-port helper of the tests (test/support/processes.ts), kept importable from here. */
export { freePort } from "../../../test/support/processes.js";
