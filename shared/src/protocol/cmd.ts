import { z } from "zod";
import { Priority, Volume } from "../model.js";
import { Code, IdToken, UtcTime, MediaRef, PlayId, Text } from "./common.js";

/**
 * Remote commands (ARCHITECTURE §3 cmd, cmd/res). `args` depends on `type`; a device drops a command whose
 * `expiresAt` has passed (a reboot queued for hours must not fire when the device comes back).
 */
const base = { cmdId: IdToken, expiresAt: UtcTime };

export const PlayNowArgs = z.object({
  /** Set by the cloud when the play is also in the plan (ARCHITECTURE §3 "also enter the plan"). */
  playId: PlayId.optional(),
  media: MediaRef,
  priority: Priority,
  volume: Volume.optional(),
});
export const StopArgs = z.object({});
export const SetVolumeArgs = z.object({ volume: Volume });
export const AmpPowerArgs = z.object({ on: z.boolean() });
export const TestToneArgs = z.object({
  freqHz: z.number().int().min(20).max(20_000).optional(),
  durationMs: z.number().int().min(100).max(60_000).optional(),
  volume: Volume.optional(),
});
export const SyncTimeArgs = z.object({});
export const RebootArgs = z.object({});

export const CMD_ARGS = {
  play_now: PlayNowArgs,
  stop: StopArgs,
  set_volume: SetVolumeArgs,
  amp_power: AmpPowerArgs,
  test_tone: TestToneArgs,
  sync_time: SyncTimeArgs,
  reboot: RebootArgs,
} as const;

export type CommandType = keyof typeof CMD_ARGS;
export const COMMAND_TYPES = Object.keys(CMD_ARGS) as CommandType[];
export const CommandTypeSchema = z.enum(COMMAND_TYPES as [CommandType, ...CommandType[]]);

export const CmdPayload = z.discriminatedUnion("type", [
  z.object({ ...base, type: z.literal("play_now"), args: PlayNowArgs }),
  z.object({ ...base, type: z.literal("stop"), args: StopArgs }),
  z.object({ ...base, type: z.literal("set_volume"), args: SetVolumeArgs }),
  z.object({ ...base, type: z.literal("amp_power"), args: AmpPowerArgs }),
  z.object({ ...base, type: z.literal("test_tone"), args: TestToneArgs }),
  z.object({ ...base, type: z.literal("sync_time"), args: SyncTimeArgs }),
  z.object({ ...base, type: z.literal("reboot"), args: RebootArgs }),
]);
export type CmdPayload = z.infer<typeof CmdPayload>;
export type CommandOf<T extends CommandType> = Extract<CmdPayload, { type: T }>;
export type CommandArgs<T extends CommandType> = z.infer<(typeof CMD_ARGS)[T]>;

/** A failure reply names a machine code (like LoaError.code) and a message for people. */
export const CmdError = z.object({ code: Code, message: Text });
export type CmdError = z.infer<typeof CmdError>;

/** The device's reply, echoing `cmdId`: either `{ok:true, result?}` or `{ok:false, error}`. */
export const CmdResPayload = z.discriminatedUnion("ok", [
  z.object({ cmdId: IdToken, ok: z.literal(true), result: z.record(z.string(), z.unknown()).optional() }),
  z.object({ cmdId: IdToken, ok: z.literal(false), error: CmdError }),
]);
export type CmdResPayload = z.infer<typeof CmdResPayload>;
