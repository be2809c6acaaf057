/**
 * Plan versions per receiver (ARCHITECTURE §3 plan `version`: a device ignores a plan that is not newer).
 * `diff` compares freshly built plans with what was last published and returns only the devices whose plan
 * content changed, so nothing is republished to a device a change does not touch.
 *
 * Version rule: `max(previous + 1, clock.now())`. Versions look like epoch ms, so they keep increasing even
 * when the saved state is lost (as long as the clock does not step back); with `state()` persisted and
 * `load()`ed they increase whatever the clock does.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { LoaError, isoOf, type Clock, type PlanItem, type PlanPayload } from "@loa/shared";

export interface PlanUpdate {
  deviceId: string;
  version: number;
  items: PlanItem[];
}

export const PlanVersionerState = z.object({
  devices: z.record(
    z.string(),
    z.object({ version: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), fingerprint: z.string() }),
  ),
});
export type PlanVersionerState = z.infer<typeof PlanVersionerState>;

interface Entry {
  version: number;
  fingerprint: string;
  /** Known only once a diff in this process saw the device. */
  items?: PlanItem[];
}

export class PlanVersioner {
  private readonly clock: Clock;
  private entries = new Map<string, Entry>();

  constructor(deps: { clock: Clock; state?: PlanVersionerState }) {
    this.clock = deps.clock;
    if (deps.state) this.load(deps.state);
  }

  /**
   * The devices whose plan differs from the last one published, each with its next version. Devices in
   * `force` are returned even when unchanged (same version then: e.g. a device birth). Records the result as
   * published; call `invalidate` for a device whose publish failed. `fingerprints`: fingerprintOf per
   * device, already computed (devices missing from it are hashed here).
   */
  diff(plans: ReadonlyMap<string, readonly PlanItem[]>, opts: { force?: Iterable<string>; fingerprints?: ReadonlyMap<string, string> } = {}): PlanUpdate[] {
    const force = new Set(opts.force ?? []);
    const out: PlanUpdate[] = [];
    for (const [deviceId, items] of plans) {
      // Precomputed (fingerprintOf of the same items) by a caller that hashes in slices between turns.
      const fingerprint = opts.fingerprints?.get(deviceId) ?? fingerprintOf(items);
      const prev = this.entries.get(deviceId);
      const copy = items.map((i) => ({ ...i, media: { ...i.media } }));
      if (prev && prev.fingerprint === fingerprint) {
        prev.items = copy;
        if (force.has(deviceId)) out.push({ deviceId, version: prev.version, items: copy });
        continue;
      }
      const version = Math.max((prev?.version ?? 0) + 1, Math.floor(this.clock.now()));
      this.entries.set(deviceId, { version, fingerprint, items: copy });
      out.push({ deviceId, version, items: copy });
    }
    return out;
  }

  /** The last plan given for a device (to republish on its birth), if this process has built it. */
  forDevice(deviceId: string): PlanUpdate | undefined {
    const e = this.entries.get(deviceId);
    return e?.items ? { deviceId, version: e.version, items: e.items } : undefined;
  }

  /** The device's plan did not reach the broker: the next diff returns it again, with a new version. */
  invalidate(deviceId: string): void {
    const e = this.entries.get(deviceId);
    if (e) e.fingerprint = "";
  }

  /** A deleted device: drop its entry. */
  forget(deviceId: string): void {
    this.entries.delete(deviceId);
  }

  /** The devices with an entry (to forget the deleted ones without building `state()`). */
  deviceIds(): string[] {
    return [...this.entries.keys()];
  }

  versionOf(deviceId: string): number | undefined {
    return this.entries.get(deviceId)?.version;
  }

  /** What to persist so versions stay monotonic across restarts. */
  state(): PlanVersionerState {
    const devices: PlanVersionerState["devices"] = {};
    for (const [id, e] of this.entries) devices[id] = { version: e.version, fingerprint: e.fingerprint };
    return { devices };
  }

  /** Replace the state with a saved one; throws `LoaError` code `invalid_state` when it does not parse. */
  load(state: unknown): void {
    const parsed = PlanVersionerState.safeParse(state);
    if (!parsed.success) throw new LoaError("invalid_state", `plan versioner state: ${parsed.error.message}`);
    this.entries = new Map(Object.entries(parsed.data.devices).map(([id, e]) => [id, { ...e }]));
  }
}

/** Content hash of a plan's items (order matters: plans are sorted by `at`). */
export function fingerprintOf(items: readonly PlanItem[]): string {
  const canonical = items.map((i) => [
    i.playId,
    i.at,
    i.priority,
    i.volume ?? null,
    i.media.sha256,
    i.media.bytes,
    i.media.chunkSize,
    i.media.durationMs,
    i.media.codec,
  ]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/** The retained `plan` payload for an update (ARCHITECTURE §3). */
export function planPayload(update: PlanUpdate, nowMs: number): PlanPayload {
  return { version: update.version, serverTime: isoOf(nowMs), items: update.items };
}
