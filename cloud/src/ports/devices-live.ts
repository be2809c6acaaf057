/**
 * Live device state (ARCHITECTURE §2 "live health kept in memory", §3 status/telemetry) as the REST API
 * reads it. Implemented by the broker/presence side; the API works without one (every device offline).
 */
export interface DeviceFault {
  /** e.g. amp fault codes from `amp_fault` events. */
  code: string;
  detail?: string;
  /** Epoch ms when the fault was raised. */
  since?: number;
}

export interface DeviceHealth {
  online: boolean;
  /** Epoch ms of the last message from the device (birth, telemetry, events), or null if never heard. */
  lastSeen: number | null;
  bootId?: string;
  agentVersion?: string;
  /** The last telemetry payload as received (schema: shared/protocol telemetry). */
  telemetry: Record<string, unknown> | null;
  /** Active faults; empty when healthy. */
  faults: readonly DeviceFault[];
}

export interface DeviceLive {
  /** Current health, or undefined when nothing is known about the device. */
  health(deviceId: string): DeviceHealth | undefined;
  /**
   * The device's token was rotated or the device deleted: drop its MQTT session now, so the old token
   * stops working immediately rather than at the next reconnect.
   */
  revoke?(deviceId: string): void | Promise<void>;
}
