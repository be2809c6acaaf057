/**
 * Remote commands (ARCHITECTURE §3 cmd, cmd/res; §7 `POST /devices/:id/commands`). Implemented by the
 * MQTT dispatcher side. The REST layer has already checked the caller's role and scope and validated the
 * body with `DeviceCommandBody`; play_now names a bulletin, which the implementation resolves to media.
 * Throw a LoaError (e.g. code `invalid_request`, `unavailable`) to refuse.
 */
import type { DeviceCommandBody, DeviceCommandStatus, DeviceCommandType } from "@loa/shared";

export interface CommandState {
  cmdId: string;
  deviceId: string;
  type: DeviceCommandType;
  status: DeviceCommandStatus;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
}

export interface CommandIssuer {
  userId: string;
  username: string;
}

export interface DeviceCommands {
  /** Queue the command for the device; resolves with its cmdId once accepted (not once executed). */
  send(deviceId: string, type: DeviceCommandType, args: DeviceCommandBody["args"], by: CommandIssuer): Promise<string>;
  /** The command's state, or undefined when unknown (never sent to this device, or forgotten). */
  get(deviceId: string, cmdId: string): CommandState | undefined;
}
