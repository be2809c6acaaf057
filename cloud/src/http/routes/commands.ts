/**
 * Remote control (ARCHITECTURE §3 cmd, §7 `POST /api/v1/devices/:id/commands` → 202 {cmdId}; the result at
 * `GET /api/v1/devices/:id/commands/:cmdId`). Operators and admins only; delivery is the DeviceCommands port's.
 */
import { DeviceCommandAccepted, DeviceCommandBody, DeviceCommandView } from "@loa/shared";
import { NotFoundError, UnavailableError, UnprocessableError } from "../../core/errors.js";
import type { CommandState, DeviceCommands } from "../../ports/device-commands.js";
import type { ApiRouter, Call, RouteContext } from "../api-router.js";
import { AUTH_ERRORS, PROBLEM } from "./docs.js";
import { visibleDevice } from "./devices.js";

const TAG = "devices";

function port(ctx: RouteContext): DeviceCommands {
  if (!ctx.deviceCommands) throw new UnavailableError("remote commands are not available: the MQTT side is not running");
  return ctx.deviceCommands;
}

/** play_now may use a bulletin of the caller's subtree or of an area above it (a province-wide bulletin). */
function checkBulletin(call: Call<unknown, unknown>, ctx: RouteContext, bulletinId: string): void {
  const bulletin = ctx.catalog.data().bulletins.find((b) => b.id === bulletinId);
  const usable = bulletin !== undefined &&
    (call.inScope(bulletin.areaId) || call.areas().isWithin(call.actor.user.areaId, bulletin.areaId));
  if (!usable) throw new UnprocessableError(`bulletin ${bulletinId} does not exist`);
}

function view(s: CommandState) {
  return {
    cmdId: s.cmdId,
    deviceId: s.deviceId,
    status: s.status,
    type: s.type,
    ...(s.result !== undefined ? { result: s.result } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    createdAt: new Date(s.createdAt).toISOString(),
    expiresAt: new Date(s.expiresAt).toISOString(),
  };
}

export function registerCommandRoutes(api: ApiRouter, ctx: RouteContext): void {
  api.add({
    method: "post",
    path: "/api/v1/devices/:id/commands",
    summary: "Send a command (play_now, stop, set_volume, amp_power, test_tone, sync_time, reboot)",
    tag: TAG,
    body: DeviceCommandBody,
    responses: {
      202: { description: "accepted; follow it at the command's URL or on the stream", schema: DeviceCommandAccepted },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown device"),
      422: PROBLEM("invalid command"),
      503: PROBLEM("commands unavailable"),
    },
    handler: async (call) => {
      const id = call.param("id");
      visibleDevice(call, ctx, id, "devices.command");
      const b = call.body;
      if (b.type === "play_now") checkBulletin(call, ctx, b.args.bulletinId);
      const { user } = call.actor;
      const cmdId = await port(ctx).send(id, b.type, b.args, { userId: user.id, username: user.username });
      await call.audit("device.command", { type: "device", id }, { cmdId, type: b.type, args: b.args });
      return { status: 202, body: { cmdId }, headers: { Location: `/api/v1/devices/${id}/commands/${cmdId}` } };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/devices/:id/commands/:cmdId",
    summary: "A command's state: pending, ok (with result), error, expired",
    tag: TAG,
    responses: {
      200: { description: "the command", schema: DeviceCommandView },
      ...AUTH_ERRORS,
      404: PROBLEM("unknown device or command"),
      503: PROBLEM("commands unavailable"),
    },
    handler: (call) => {
      call.requirePermission("devices.command");
      const id = call.param("id");
      visibleDevice(call, ctx, id, "devices.read");
      const cmdId = call.param("cmdId");
      const state = port(ctx).get(id, cmdId);
      if (!state) throw new NotFoundError(`command ${cmdId} of device ${id}`);
      return { status: 200, body: view(state) };
    },
  });
}
