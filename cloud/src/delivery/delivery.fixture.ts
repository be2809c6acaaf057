/**
 * Test set-up for delivery: an in-memory catalogue (areas, devices, a bulletin), journal, bus, presence and
 * media source, a FakeClock, and createDelivery wired over them with the jobs left to the test.
 */
import { createHash } from "node:crypto";
import { FakeClock, type Area, type Broadcast, type Bulletin, type Device } from "@loa/shared";
import { pino } from "pino";
import { MemoryCatalog, MemoryJournal } from "../testing/memory-store.js";
import { emptyCatalog, type Catalog, type CatalogData, type JournalEntry } from "../ports/store.js";
import { createDelivery, type Delivery, type DeliveryConfig, type DevicePresence } from "./delivery.js";
import { MemoryDeliveryBus } from "./memory-bus.js";
import type { MediaReader, MediaSource } from "./media-source.js";

export const silent = pino({ level: "silent" });

/** 2026-03-02 is a Monday; 08:00 UTC is 15:00 in Hanoi. */
export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

/** Province P > commune C (quiet 22:00–05:00) > villages V1, V2; commune C2 > village V3. */
export function areas(): Area[] {
  return [
    { id: "P", name: "Tỉnh Thử", parentId: null, kind: "province" },
    { id: "C", name: "Xã Tân Phú", parentId: "P", kind: "commune", quietHours: { start: "22:00", end: "05:00" } },
    { id: "V1", name: "Thôn Một", parentId: "C", kind: "village" },
    { id: "V2", name: "Thôn Hai", parentId: "C", kind: "village" },
    { id: "C2", name: "Xã Phú Lý", parentId: "P", kind: "commune" },
    { id: "V3", name: "Ấp Ba", parentId: "C2", kind: "village" },
  ];
}

export function device(id: string, areaId: string): Device {
  return { id, name: `Loa ${id}`, areaId, profile: "loa-amp-v1", tokenHash: "x", createdAt: "2026-01-01T00:00:00.000Z" };
}

/** d1, d2 in V1; d3 in V2; d4 in V3 (another commune). */
export function devices(): Device[] {
  return [device("d1", "V1"), device("d2", "V1"), device("d3", "V2"), device("d4", "V3")];
}

/** 200 000 bytes of deterministic audio stand-in: 4 chunks of 64 KiB (the last shorter). */
export function audio(seed = "a", bytes = 200_000): { data: Buffer; sha256: string } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + seed.charCodeAt(0)) & 0xff;
  return { data, sha256: createHash("sha256").update(data).digest("hex") };
}

export function bulletin(id: string, sha256: string, durationMs = 60_000, bytes = 200_000): Bulletin {
  return { id, title: `Bản tin ${id}`, sha256, bytes, durationMs, codec: "opus", loudnessLufs: -16, source: "upload", areaId: "P", createdBy: "u1", createdAt: "2026-01-01T00:00:00.000Z" };
}

export function broadcast(id: string, when: Broadcast["when"], extra: Partial<Broadcast> = {}): Broadcast {
  return { id, bulletinId: "b1", targets: { areaIds: ["C"], deviceIds: [] }, priority: "normal", when, status: "active", areaId: "C", createdBy: "u1", createdAt: new Date(T0 - 3_600_000).toISOString(), ...extra };
}

export class FakePresence implements DevicePresence {
  private readonly online = new Map<string, number | undefined>();
  private readonly listeners = new Set<(c: { deviceId: string; reason: "online" | "offline" }) => void>();

  onChange(listener: (c: { deviceId: string; reason: "online" | "offline" }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(deviceId: string): { online: boolean; bootSeenAt?: number } {
    const bootSeenAt = this.online.get(deviceId);
    return { online: this.online.has(deviceId), ...(bootSeenAt !== undefined ? { bootSeenAt } : {}) };
  }

  /** `bootSeenAt`: when the cloud first heard this boot's birth. */
  set(deviceId: string, online: boolean, bootSeenAt?: number): void {
    if (online) this.online.set(deviceId, bootSeenAt);
    else this.online.delete(deviceId);
    for (const l of this.listeners) l({ deviceId, reason: online ? "online" : "offline" });
  }
}

export class MemoryMediaSource implements MediaSource {
  readonly files = new Map<string, Buffer>();
  reads = 0;

  add(data: Buffer, sha256: string): void {
    this.files.set(sha256, data);
  }

  open(sha256: string): Promise<MediaReader | undefined> {
    const data = this.files.get(sha256);
    if (!data) return Promise.resolve(undefined);
    return Promise.resolve({
      size: data.length,
      read: (position, length) => {
        this.reads++;
        return Promise.resolve(Buffer.from(data.subarray(position, position + length)));
      },
      close: () => Promise.resolve(),
    });
  }
}

/** A journal whose appends, once `gated`, wait until the test releases them (to see what waits for durability). */
export class GatedJournal extends MemoryJournal {
  private gates: Array<() => void> = [];
  held = 0;
  /** While false, appends pass straight through. */
  gated = false;

  override append(...entries: JournalEntry[]): Promise<void> {
    if (!this.gated) return super.append(...entries);
    this.held++;
    return new Promise<void>((resolve) => {
      this.gates.push(() => {
        this.held--;
        resolve(super.append(...entries));
      });
    });
  }

  /** Make every held append durable. */
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

export interface World {
  clock: FakeClock;
  catalog: MemoryCatalog;
  journal: MemoryJournal;
  bus: MemoryDeliveryBus;
  presence: FakePresence;
  media: MemoryMediaSource;
  sha: string;
  delivery: Delivery;
  /** A second delivery over the same catalogue and journal (a restart). */
  restart(config?: DeliveryConfig): Promise<Delivery>;
}

export async function world(opts: { broadcasts?: Broadcast[]; config?: DeliveryConfig; journal?: MemoryJournal; devices?: Device[]; start?: boolean; now?: number } = {}): Promise<World> {
  const clock = new FakeClock(opts.now ?? T0);
  const { data, sha256 } = audio();
  const catalog = new MemoryCatalog({ ...emptyCatalog(), areas: areas(), devices: opts.devices ?? devices(), bulletins: [bulletin("b1", sha256)], broadcasts: opts.broadcasts ?? [] });
  const journal = opts.journal ?? new MemoryJournal();
  const bus = new MemoryDeliveryBus();
  const presence = new FakePresence();
  const media = new MemoryMediaSource();
  media.add(data, sha256);
  const make = (config?: DeliveryConfig): Delivery =>
    createDelivery({ catalog, journal, bus, presence, clock, log: silent, mediaPathOf: () => Promise.resolve(undefined), mediaSource: media, config: { schedule: false, watchMs: 0, tz: "Asia/Ho_Chi_Minh", ...opts.config, ...config } });
  const delivery = make();
  if (opts.start !== false) await delivery.start();
  return {
    clock, catalog, journal, bus, presence, media, sha: sha256, delivery,
    restart: async (config) => {
      await delivery.close();
      const again = make(config);
      await again.start();
      return again;
    },
  };
}

/** Copy-on-write like the durable catalogue: a change replaces the collections it assigns, the rest stay. */
export class CowCatalog implements Pick<Catalog, "data" | "update"> {
  writes = 0;
  constructor(private state: CatalogData) {}

  data(): Readonly<CatalogData> {
    return this.state;
  }

  update<T>(change: (draft: CatalogData) => T): Promise<T> {
    const draft = { ...this.state, meta: { ...this.state.meta } };
    const out = change(draft);
    this.state = draft;
    this.writes++;
    return Promise.resolve(out);
  }
}
