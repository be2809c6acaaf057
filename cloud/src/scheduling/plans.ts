/**
 * Each receiver's plan (ARCHITECTURE §3 "Plan, not push-at-time"): the plays of every active broadcast
 * that targets it, from a play still in progress (started less than its bulletin's length ago) to the
 * horizon (`planHorizonH`, default 48 h). Pure: the caller publishes (see PlanVersioner).
 */
import {
  DEFAULT_CHUNK_SIZE,
  LIMITS,
  isLoaError,
  errorMessage,
  isoOf,
  playIdOf,
  type Area,
  type Broadcast,
  type Bulletin,
  type Device,
  type MediaRef,
  type PlanItem,
  type Priority,
} from "@loa/shared";
import { AreaIndex } from "../core/areas.js";
import { expandBroadcast } from "./expand.js";
import { isQuietAt, quietRuleOf, type QuietRule } from "./quiet-hours.js";
import { resolveTargets } from "./targets.js";

export const DEFAULT_PLAN_HORIZON_H = 48;

/** One occurrence on one receiver, with what conflict ordering needs besides the wire item. */
export interface PlannedPlay {
  playId: string;
  broadcastId: string;
  deviceId: string;
  atMs: number;
  durationMs: number;
  priority: Priority;
  volume?: number;
  /** Staff's order for collisions (lower first). */
  order?: number;
  createdAtMs: number;
  media: MediaRef;
}

export interface PlanBuildInput {
  broadcasts: readonly Broadcast[];
  bulletins: readonly Bulletin[];
  areas: readonly Area[];
  devices: readonly Pick<Device, "id" | "areaId">[];
  nowMs: number;
  horizonH?: number;
  chunkSize?: number;
}

/** A broadcast left out of every plan, and why (`code`: bulletin_not_found, invalid_media, invalid_cron, invalid_tz…). */
export interface SkippedBroadcast {
  broadcastId: string;
  code: string;
  reason: string;
}

export interface PlanBuildResult {
  /** Every device of the input (an empty list when nothing targets it), plays sorted by `at`. */
  byDevice: Map<string, PlannedPlay[]>;
  skipped: SkippedBroadcast[];
  /** Non-emergency plays dropped because they fall in the receiver's quiet hours (rules may change after scheduling). */
  quiet: { playId: string; deviceId: string; areaId: string }[];
  /** Devices whose plan hit LIMITS.planItems; the latest plays wait for a later plan as the horizon rolls. */
  truncated: string[];
  /** Broadcasts with more occurrences in the window than a plan holds (expanded up to the cap only). */
  capped: string[];
}

/** Emergency first, then priority, then normal: plan order and conflict precedence (ARCHITECTURE §2). */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { emergency: 0, priority: 1, normal: 2 };

/** The full planning pass; `buildPlans` is its wire view. */
export function planPlays(input: PlanBuildInput): PlanBuildResult {
  const index = new AreaIndex(input.areas);
  const bulletins = new Map(input.bulletins.map((b) => [b.id, b]));
  const result: PlanBuildResult = { byDevice: new Map(), skipped: [], quiet: [], truncated: [], capped: [] };
  for (const d of input.devices) result.byDevice.set(d.id, []);
  const rules = quietRules(input.devices, index);
  for (const b of input.broadcasts) {
    if (b.status !== "active") continue;
    const media = mediaOf(b, bulletins.get(b.bulletinId), input.chunkSize ?? DEFAULT_CHUNK_SIZE, result.skipped);
    if (!media) continue;
    const instants = occurrencesOf(b, media.durationMs, input, result.skipped);
    if (instants.length === 0) continue;
    if (instants.length > LIMITS.planItems) result.capped.push(b.id);
    const quietFlags = quietFlagsOf(b.priority, instants, media.durationMs);
    for (const deviceId of resolveTargets(b.targets, index, input.devices)) {
      const rule = rules.get(deviceId);
      const quiet = rule ? quietFlags(rule) : [];
      instants.forEach((atMs, i) => {
        const play = playOf(b, deviceId, atMs, media);
        if (rule && quiet[i]) result.quiet.push({ playId: play.playId, deviceId, areaId: rule.areaId });
        else result.byDevice.get(deviceId)?.push(play);
      });
    }
  }
  for (const [deviceId, plays] of result.byDevice) {
    plays.sort(comparePlanOrder);
    if (plays.length > LIMITS.planItems) {
      plays.length = LIMITS.planItems;
      result.truncated.push(deviceId);
    }
  }
  return result;
}

/** `Map<deviceId, PlanItem[]>` sorted by `at`, every input device present (an empty plan clears a device). */
export function buildPlans(input: PlanBuildInput): Map<string, PlanItem[]> {
  return toPlanItems(planPlays(input).byDevice);
}

export function toPlanItems(byDevice: ReadonlyMap<string, readonly PlannedPlay[]>): Map<string, PlanItem[]> {
  const out = new Map<string, PlanItem[]>();
  for (const [deviceId, plays] of byDevice) out.set(deviceId, plays.map(toPlanItem));
  return out;
}

export function toPlanItem(p: PlannedPlay): PlanItem {
  const item: PlanItem = { playId: p.playId, at: isoOf(p.atMs), priority: p.priority, media: { ...p.media } };
  if (p.volume !== undefined) item.volume = p.volume;
  return item;
}

/** Plan order: time, then emergency before priority before normal, then playId (deterministic). */
export function comparePlanOrder(a: PlannedPlay, b: PlannedPlay): number {
  return (
    a.atMs - b.atMs ||
    PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
    (a.playId < b.playId ? -1 : a.playId > b.playId ? 1 : 0)
  );
}

function quietRules(devices: PlanBuildInput["devices"], index: AreaIndex): Map<string, QuietRule> {
  const byArea = new Map<string, QuietRule | null>();
  const out = new Map<string, QuietRule>();
  for (const d of devices) {
    if (!byArea.has(d.areaId)) byArea.set(d.areaId, quietRuleOf(index.ancestry(d.areaId)));
    const rule = byArea.get(d.areaId);
    if (rule) out.set(d.id, rule);
  }
  return out;
}

/**
 * Which of a broadcast's instants fall in a rule's quiet hours (none for emergency). Receivers of one area
 * share a rule object, so each rule is checked once per broadcast, not once per receiver.
 */
function quietFlagsOf(priority: Priority, instants: readonly number[], durationMs: number): (rule: QuietRule) => readonly boolean[] {
  const memo = new Map<QuietRule, boolean[]>();
  return (rule) => {
    if (priority === "emergency") return [];
    let flags = memo.get(rule);
    if (!flags) {
      flags = instants.map((atMs) => isQuietAt(rule, atMs, durationMs));
      memo.set(rule, flags);
    }
    return flags;
  };
}

function mediaOf(b: Broadcast, bulletin: Bulletin | undefined, chunkSize: number, skipped: SkippedBroadcast[]): MediaRef | undefined {
  if (!bulletin) {
    skipped.push({ broadcastId: b.id, code: "bulletin_not_found", reason: `bulletin ${b.bulletinId} not found` });
    return undefined;
  }
  if (bulletin.bytes < 1 || bulletin.durationMs < 1) {
    skipped.push({ broadcastId: b.id, code: "invalid_media", reason: `bulletin ${bulletin.id} has no audio` });
    return undefined;
  }
  const { sha256, bytes, durationMs, codec } = bulletin;
  return { sha256, bytes, chunkSize, durationMs, codec };
}

function occurrencesOf(b: Broadcast, durationMs: number, input: PlanBuildInput, skipped: SkippedBroadcast[]): number[] {
  const horizonMs = (input.horizonH ?? DEFAULT_PLAN_HORIZON_H) * 3_600_000;
  try {
    return expandBroadcast(b, {
      // Keep a play whose `at + durationMs` is still ahead: it is playing now.
      fromMs: input.nowMs - durationMs + 1,
      toMs: input.nowMs + horizonMs,
      nowMs: input.nowMs,
      limit: LIMITS.planItems + 1, // one more than fits, so truncation shows
    });
  } catch (err) {
    skipped.push({ broadcastId: b.id, code: isLoaError(err) ? err.code : "internal", reason: errorMessage(err) });
    return [];
  }
}

function playOf(b: Broadcast, deviceId: string, atMs: number, media: MediaRef): PlannedPlay {
  const play: PlannedPlay = {
    playId: playIdOf(b.id, atMs),
    broadcastId: b.id,
    deviceId,
    atMs,
    durationMs: media.durationMs,
    priority: b.priority,
    createdAtMs: Date.parse(b.createdAt),
    media,
  };
  if (b.volume !== undefined) play.volume = b.volume;
  if (b.order !== undefined) play.order = b.order;
  return play;
}
