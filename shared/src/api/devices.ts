/** REST bodies and views for receivers and their remote commands (ARCHITECTURE §2, §3 cmd, §7). */
import { z } from "zod";
import { Device, Id, IsoTime, Priority, Volume } from "../model.js";
import { AmpPowerArgs, RebootArgs, SetVolumeArgs, StopArgs, SyncTimeArgs, TestToneArgs } from "../protocol/cmd.js";

export const DeviceState = z.enum(["online", "offline", "fault"]);
export type DeviceState = z.infer<typeof DeviceState>;

export const DeviceFaultView = z.object({
  code: z.string(),
  detail: z.string().optional(),
  since: z.string().optional(),
});

/** Live health from the broker/presence side; offline with nulls when nothing was ever heard. */
export const DeviceHealthView = z.object({
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  bootId: z.string().optional(),
  agentVersion: z.string().optional(),
  /** The last telemetry message as the device sent it (schema in shared/protocol). */
  telemetry: z.record(z.string(), z.unknown()).nullable(),
  faults: z.array(DeviceFaultView),
});
export type DeviceHealthView = z.infer<typeof DeviceHealthView>;

/** Most samples one `GET /devices/:id/telemetry` returns, and what the cloud keeps per device (6 h at 30 s). */
export const DEVICE_TELEMETRY_MAX = 720;

/** `GET /devices/:id/telemetry`: samples received at or after `since` (default: the last 6 hours). */
export const DeviceTelemetryQuery = z
  .object({
    since: IsoTime.optional(),
    /** The newest `limit` samples of that period. */
    limit: z.coerce.number().int().min(1).max(DEVICE_TELEMETRY_MAX).default(DEVICE_TELEMETRY_MAX),
  })
  .strict();
export type DeviceTelemetryQuery = z.infer<typeof DeviceTelemetryQuery>;

/** One telemetry sample as the charts draw it; null where the device did not report the value. */
export const DeviceTelemetryPoint = z.object({
  /** When the cloud received the sample (cloud clock). */
  at: IsoTime,
  ampTempC: z.number().nullable(),
  volume: z.number().nullable(),
  cpuTempC: z.number().nullable(),
  clockOffsetMs: z.number().nullable(),
});
export type DeviceTelemetryPoint = z.infer<typeof DeviceTelemetryPoint>;

/** Oldest first. */
export const DeviceTelemetryHistory = z.object({ deviceId: Id, items: z.array(DeviceTelemetryPoint) });
export type DeviceTelemetryHistory = z.infer<typeof DeviceTelemetryHistory>;

/** Never the token's hashes. `state`: offline wins over fault; fault = online with an active fault. */
export const DeviceView = Device.omit({ tokenHash: true, mqttHash: true }).extend({
  state: DeviceState,
  health: DeviceHealthView,
});
export type DeviceView = z.infer<typeof DeviceView>;
/** Most devices one page of `GET /devices` holds; the default is 100. */
export const DEVICE_PAGE_MAX = 1000;

/**
 * One page in name order (Vietnamese collation, then id); `nextCursor` is null on the last page, `total`
 * counts the devices matching the filters over all pages.
 */
export const DeviceList = z.object({ items: z.array(DeviceView), nextCursor: z.string().nullable(), total: z.number().int().nonnegative() });
export type DeviceList = z.infer<typeof DeviceList>;

export const DeviceListQuery = z
  .object({
    /** Devices in this area's subtree. */
    areaId: Id.optional(),
    state: DeviceState.optional(),
    /** Opaque: the `nextCursor` of the previous page (it holds a name of up to 200 characters). */
    cursor: z.string().max(2000).optional(),
    limit: z.coerce.number().int().min(1).max(DEVICE_PAGE_MAX).default(100),
  })
  .strict();
export type DeviceListQuery = z.infer<typeof DeviceListQuery>;

const ProfileId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "profile: an amplifier profile id like loa-amp-v1");

export const DeviceCreateBody = z
  .object({
    name: z.string().trim().min(1, "name: required").max(200),
    /** A village or a commune. */
    areaId: Id,
    profile: ProfileId.optional(),
  })
  .strict();
export type DeviceCreateBody = z.infer<typeof DeviceCreateBody>;

export const DevicePatchBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    areaId: Id.optional(),
    profile: ProfileId.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to change: give name, areaId or profile" });
export type DevicePatchBody = z.infer<typeof DevicePatchBody>;

/** A ready `edge.json` for the receiver; the token in it is shown once. */
export const EdgeConfigDoc = z.object({
  deviceId: Id,
  token: z.string(),
  mqttUrl: z.string(),
  prefix: z.string(),
  profile: z.string(),
  tz: z.string(),
});
export type EdgeConfigDoc = z.infer<typeof EdgeConfigDoc>;

export const DeviceCreated = z.object({ device: DeviceView, token: z.string(), edgeConfig: EdgeConfigDoc });
export type DeviceCreated = z.infer<typeof DeviceCreated>;

export const DeviceTokenRotated = z.object({ deviceId: Id, token: z.string(), edgeConfig: EdgeConfigDoc });
export type DeviceTokenRotated = z.infer<typeof DeviceTokenRotated>;

/**
 * `POST /devices/:id/commands`. The REST form names a bulletin for play_now; the cloud turns it into the
 * MQTT cmd (shared/protocol `CmdPayload`) with the media reference.
 */
export const DeviceCommandBody = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("play_now"),
      args: z
        .object({ bulletinId: Id, priority: Priority.default("normal"), volume: Volume.optional() })
        .strict(),
    })
    .strict(),
  // The other commands take the MQTT cmd's own args (shared/protocol), so both accept the same bounds.
  z.object({ type: z.literal("stop"), args: StopArgs.strict().default({}) }).strict(),
  z.object({ type: z.literal("set_volume"), args: SetVolumeArgs.strict() }).strict(),
  z.object({ type: z.literal("amp_power"), args: AmpPowerArgs.strict() }).strict(),
  z.object({ type: z.literal("test_tone"), args: TestToneArgs.strict().default({}) }).strict(),
  z.object({ type: z.literal("sync_time"), args: SyncTimeArgs.strict().default({}) }).strict(),
  z.object({ type: z.literal("reboot"), args: RebootArgs.strict().default({}) }).strict(),
]);
export type DeviceCommandBody = z.infer<typeof DeviceCommandBody>;
export type DeviceCommandType = DeviceCommandBody["type"];

export const DeviceCommandAccepted = z.object({ cmdId: z.string() });
export type DeviceCommandAccepted = z.infer<typeof DeviceCommandAccepted>;

export const DeviceCommandStatus = z.enum(["pending", "ok", "error", "expired"]);
export type DeviceCommandStatus = z.infer<typeof DeviceCommandStatus>;

export const DeviceCommandView = z.object({
  cmdId: z.string(),
  deviceId: Id,
  status: DeviceCommandStatus,
  type: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type DeviceCommandView = z.infer<typeof DeviceCommandView>;
