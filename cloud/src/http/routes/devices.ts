/**
 * Receivers (ARCHITECTURE §2, §7): provisioning returns the device token and a ready edge.json once; the
 * catalogue keeps only the token's sha256. Lists carry live health from the DeviceLive port.
 */
import {
  DeviceCreateBody,
  DeviceCreated,
  DeviceList,
  DeviceListQuery,
  DevicePatchBody,
  DeviceTokenRotated,
  DeviceView,
  newId,
  type Device,
  type DeviceState,
  type EdgeConfigDoc,
} from "@loa/shared";
import { mosquittoPasswordHash } from "../../broker/mosquitto-passwd.js";
import { DEVICE_AREA_KINDS } from "../../core/areas.js";
import { newDeviceToken } from "../../core/auth/device-tokens.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../core/errors.js";
import type { CatalogData } from "../../ports/store.js";
import type { ApiRouter, Call, RouteContext } from "../api-router.js";
import { pageDevices } from "./device-page.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";
import { deviceStateOf, deviceView } from "./views.js";

const TAG = "devices";

/** The device after the read gate: 404 when unknown or outside the caller's subtree. */
export function visibleDevice(call: Call<unknown, unknown>, ctx: RouteContext, id: string, action: "devices.read" | "devices.write" | "devices.command"): Device {
  return call.visible(ctx.catalog.data().devices, id, action, "device");
}

function edgeConfigOf(call: Call<unknown, unknown>, ctx: RouteContext, device: Device, token: string): EdgeConfigDoc {
  return {
    deviceId: device.id,
    token,
    mqttUrl: ctx.config.publicMqttUrl,
    prefix: ctx.config.mqttPrefix,
    profile: device.profile,
    tz: call.areas().get(device.areaId) ? call.areas().zoneOf(device.areaId) : ctx.config.tz,
  };
}

/** A receiver hangs in a village or a commune of the caller's subtree. */
function checkDeviceArea(call: Call<unknown, unknown>, areaId: string): void {
  const area = call.areas().get(areaId);
  if (!area) throw new UnprocessableError(`area ${areaId} does not exist`);
  call.authorize("devices.write", areaId, `area ${areaId}`);
  if (!DEVICE_AREA_KINDS.includes(area.kind)) {
    throw new UnprocessableError(`a device belongs to a village or a commune, not to the ${area.kind} "${area.name}"`);
  }
}

function checkProfile(ctx: RouteContext, profile: string): void {
  const known = ctx.config.profiles;
  if (known && !known.includes(profile)) {
    throw new UnprocessableError(`unknown amplifier profile "${profile}"; known: ${known.join(", ")}`);
  }
}

function checkNameFree(draft: CatalogData, areaId: string, name: string, exceptId?: string): void {
  const clash = draft.devices.some((d) => d.id !== exceptId && d.areaId === areaId && d.name.toLowerCase() === name.toLowerCase());
  if (clash) throw new ConflictError(`a device named "${name}" already exists in that area`);
}

function registerReads(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "get",
    path: "/api/v1/devices",
    summary: "Devices of the caller's subtree with live health, in name order; filters: areaId (subtree), state; paged by cursor (limit default 100, max 1000)",
    tag: TAG,
    query: DeviceListQuery,
    responses: {
      200: { description: "one page; nextCursor null on the last, total over all pages", schema: DeviceList },
      ...AUTH_ERRORS,
      404: PROBLEM("areaId unknown or outside your area"),
      422: PROBLEM("invalid filter, limit or cursor"),
    },
    handler: (call) => {
      call.requirePermission("devices.read");
      const { areaId, state, cursor, limit } = call.query;
      const within = call.listScope("devices.read", areaId);
      const stateOf = (d: Device): DeviceState => deviceStateOf(d, ctx.deviceLive);
      const page = pageDevices(ctx.catalog.data().devices, { within, stateOf, limit, ...(state ? { state } : {}), ...(cursor !== undefined ? { cursor } : {}) });
      // Views (live health, secrets left out) only for the page itself.
      const items = page.items.map((d) => deviceView(d, ctx.deviceLive));
      return { status: 200, body: { items, nextCursor: page.nextCursor, total: page.total } };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/devices/:id",
    summary: "One device with live health",
    tag: TAG,
    responses: { 200: { description: "the device", schema: DeviceView }, ...AUTH_ERRORS, 404: PROBLEM("unknown or outside your area") },
    handler: (call) => ({ status: 200, body: deviceView(visibleDevice(call, ctx, call.param("id"), "devices.read"), ctx.deviceLive) }),
  });
}

function registerCreate(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "post",
    path: "/api/v1/devices",
    summary: "Provision a receiver: returns its token and edge.json once",
    tag: TAG,
    body: DeviceCreateBody,
    responses: {
      201: { description: "provisioned", schema: DeviceCreated },
      ...AUTH_ERRORS,
      409: PROBLEM("a device with that name exists in the area"),
      422: PROBLEM("invalid body, unknown area, wrong area kind, unknown profile"),
    },
    handler: async (call) => {
      const b = call.body;
      checkDeviceArea(call, b.areaId);
      const profile = b.profile ?? ctx.config.defaultProfile;
      checkProfile(ctx, profile);
      const { token, tokenHash } = newDeviceToken();
      // mqttHash: the same token for an external Mosquitto (loa-cloud export-mosquitto, ARCHITECTURE §4).
      const device: Device = { id: newId("dev"), name: b.name, areaId: b.areaId, profile, tokenHash, mqttHash: mosquittoPasswordHash(token), createdAt: call.nowIso() };
      await ctx.catalog.update((draft) => {
        checkNameFree(draft, device.areaId, device.name);
        draft.devices.push(device);
      });
      await call.audit("device.create", { type: "device", id: device.id }, { name: device.name, areaId: device.areaId, profile });
      const body = { device: deviceView(device, ctx.deviceLive), token, edgeConfig: edgeConfigOf(call, ctx, device, token) };
      return { status: 201, body };
    },
  });
}

function registerChanges(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "patch",
    path: "/api/v1/devices/:id",
    summary: "Rename a device, move it to another village/commune, change its amplifier profile",
    tag: TAG,
    body: DevicePatchBody,
    responses: {
      200: { description: "updated", schema: DeviceView },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown device"),
      409: PROBLEM("name taken in the area"),
      422: PROBLEM("invalid body"),
    },
    handler: async (call) => {
      const id = call.param("id");
      visibleDevice(call, ctx, id, "devices.write");
      const b = call.body;
      if (b.areaId !== undefined) checkDeviceArea(call, b.areaId);
      if (b.profile !== undefined) checkProfile(ctx, b.profile);
      const updated = await ctx.catalog.update((draft) => {
        const d = draft.devices.find((x) => x.id === id);
        if (!d) throw new NotFoundError(`device ${id}`);
        checkNameFree(draft, b.areaId ?? d.areaId, b.name ?? d.name, id);
        if (b.name !== undefined) d.name = b.name;
        if (b.areaId !== undefined) d.areaId = b.areaId;
        if (b.profile !== undefined) d.profile = b.profile;
        return { ...d };
      });
      await call.audit("device.update", { type: "device", id }, { fields: Object.keys(b), ...b });
      return { status: 200, body: deviceView(updated, ctx.deviceLive) };
    },
  });

  api.add({
    method: "delete",
    path: "/api/v1/devices/:id",
    summary: "Delete a device; its MQTT session is dropped and its token stops working",
    tag: TAG,
    responses: { 204: { description: "deleted" }, ...AUTH_ERRORS, 404: PROBLEM("unknown device") },
    handler: async (call) => {
      const id = call.param("id");
      const device = visibleDevice(call, ctx, id, "devices.write");
      await ctx.catalog.update((draft) => {
        draft.devices = draft.devices.filter((d) => d.id !== id);
      });
      await ctx.deviceLive?.revoke?.(id);
      await call.audit("device.delete", { type: "device", id }, { name: device.name, areaId: device.areaId });
      return { status: 204 };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/devices/:id/token",
    summary: "Rotate the device token: the new one is in this reply only; the old one stops working",
    tag: TAG,
    responses: { 200: { description: "rotated", schema: DeviceTokenRotated }, ...AUTH_ERRORS, 404: PROBLEM("unknown device") },
    handler: async (call) => {
      const id = call.param("id");
      visibleDevice(call, ctx, id, "devices.write");
      const { token, tokenHash } = newDeviceToken();
      const mqttHash = mosquittoPasswordHash(token);
      const device = await ctx.catalog.update((draft) => {
        const d = draft.devices.find((x) => x.id === id);
        if (!d) throw new NotFoundError(`device ${id}`);
        d.tokenHash = tokenHash;
        d.mqttHash = mqttHash;
        return { ...d };
      });
      await ctx.deviceLive?.revoke?.(id);
      await call.audit("device.token_rotate", { type: "device", id });
      return { status: 200, body: { deviceId: id, token, edgeConfig: edgeConfigOf(call, ctx, device, token) } };
    },
  });
}

export function registerDeviceRoutes(api: ApiRouter, ctx: RouteContext): void {
  registerReads(api, ctx);
  registerCreate(api, ctx);
  registerChanges(api, ctx);
}
