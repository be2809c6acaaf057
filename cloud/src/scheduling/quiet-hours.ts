/**
 * Quiet hours (ARCHITECTURE §2: "non-emergency plays there are refused with a clear error"; emergency
 * ignores them). An area's `quietHours` apply to it and everything below it; the nearest area up the chain
 * that sets the field wins, and `null` there clears what an ancestor set. Times are read in the zone of the
 * area where the receiver sits (its own `tz`, else the nearest ancestor's, else Asia/Ho_Chi_Minh).
 * `start` > `end` wraps past midnight (22:00–05:00); `start` = `end` is an empty window.
 */
import { DEFAULT_TZ, LoaError, isoOf, type Area, type AreaKind, type Device, type Priority } from "@loa/shared";
import { AreaIndex } from "../core/areas.js";
import { localParts, offsetAt } from "./zone.js";

const DAY_MS = 86_400_000;

/** The quiet-hours rule in force for a place. */
export interface QuietRule {
  /** The area that sets the rule (the place itself or an ancestor). */
  areaId: string;
  areaName: string;
  areaKind: AreaKind;
  start: string;
  end: string;
  /** Zone the times are read in. */
  tz: string;
}

export interface BilingualMessage {
  vi: string;
  en: string;
}

export interface QuietHoursViolation {
  areaId: string;
  areaName: string;
  start: string;
  end: string;
  /** The play's start, ISO UTC. */
  at: string;
  atMs: number;
  /** The play's start on the local clock, "YYYY-MM-DD HH:MM", in `tz`. */
  localAt: string;
  tz: string;
  /** Targeted receivers under this rule. */
  deviceIds: string[];
  message: BilingualMessage;
}

type ChainArea = Pick<Area, "id" | "name" | "kind" | "quietHours" | "tz">;

/** The rule for the first area of `chain` (that area, then its parent, … up to the root), or null. */
export function quietRuleOf(chain: readonly ChainArea[]): QuietRule | null {
  const owner = chain.find((a) => a.quietHours !== undefined);
  if (!owner?.quietHours) return null;
  const tz = chain.find((a) => a.tz !== undefined)?.tz ?? DEFAULT_TZ;
  const { start, end } = owner.quietHours;
  return { areaId: owner.id, areaName: owner.name, areaKind: owner.kind, start, end, tz };
}

/**
 * True when a play of `durationMs` starting at `instantMs` overlaps the rule's window (0 = the instant only).
 * The zone offset at the start is used for the whole play.
 */
export function isQuietAt(rule: Pick<QuietRule, "start" | "end" | "tz">, instantMs: number, durationMs = 0): boolean {
  const s = minutesOf(rule.start) * 60_000;
  const e = minutesOf(rule.end) * 60_000;
  if (s === e) return false;
  const la = instantMs + offsetAt(rule.tz, instantMs);
  const lb = la + Math.max(durationMs, 1);
  for (let d = Math.floor(la / DAY_MS) - 1; d <= Math.floor(lb / DAY_MS); d++) {
    const winStart = d * DAY_MS + s;
    const winEnd = d * DAY_MS + e + (s > e ? DAY_MS : 0);
    if (winStart < lb && la < winEnd) return true;
  }
  return false;
}

/** The rule whose window the play falls in, or null (also null when no rule applies). */
export function quietHoursAt(chain: readonly ChainArea[], instantMs: number, durationMs = 0): QuietRule | null {
  const rule = quietRuleOf(chain);
  return rule && isQuietAt(rule, instantMs, durationMs) ? rule : null;
}

export interface QuietCheckInput {
  priority: Priority;
  /** Occurrence instants (epoch ms). */
  occurrences: readonly number[];
  /** The resolved target receivers. */
  deviceIds: readonly string[];
  devices: readonly Pick<Device, "id" | "areaId">[];
  areas: readonly Area[] | AreaIndex;
  /** The bulletin's length: a play that runs into quiet hours is refused too. */
  durationMs?: number;
}

/**
 * Every (area rule, occurrence) pair where a targeted receiver would play in quiet hours, sorted by time
 * then area. Emergency broadcasts ignore quiet hours: always `[]`.
 */
export function checkQuietHours(input: QuietCheckInput): QuietHoursViolation[] {
  if (input.priority === "emergency") return [];
  const index = input.areas instanceof AreaIndex ? input.areas : new AreaIndex(input.areas);
  const groups = groupByRule(input, index);
  const out: QuietHoursViolation[] = [];
  for (const { rule, deviceIds } of groups) {
    const message = quietHoursMessage(rule);
    for (const atMs of input.occurrences) {
      if (!isQuietAt(rule, atMs, input.durationMs ?? 0)) continue;
      const { areaId, areaName, start, end, tz } = rule;
      out.push({ areaId, areaName, start, end, at: isoOf(atMs), atMs, localAt: localText(tz, atMs), tz, deviceIds, message });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.areaId.localeCompare(b.areaId));
}

function groupByRule(input: QuietCheckInput, index: AreaIndex): { rule: QuietRule; deviceIds: string[] }[] {
  const areaOf = new Map(input.devices.map((d) => [d.id, d.areaId]));
  const groups = new Map<string, { rule: QuietRule; deviceIds: string[] }>();
  for (const id of input.deviceIds) {
    const areaId = areaOf.get(id);
    const rule = areaId === undefined ? null : quietRuleOf(index.ancestry(areaId));
    if (!rule) continue;
    const key = `${rule.areaId}|${rule.tz}`;
    const g = groups.get(key) ?? { rule, deviceIds: [] };
    g.deviceIds.push(id);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** "Xã Tân Phú đang trong giờ yên tĩnh 22:00–05:00" / "Tân Phú commune is in quiet hours 22:00–05:00". */
export function quietHoursMessage(rule: Pick<QuietRule, "areaName" | "areaKind" | "start" | "end">): BilingualMessage {
  const hours = `${rule.start}–${rule.end}`;
  const names = placeNames(rule.areaName, rule.areaKind);
  return { vi: `${names.vi} đang trong giờ yên tĩnh ${hours}`, en: `${names.en} is in quiet hours ${hours}` };
}

const KIND_VI: Readonly<Record<AreaKind, string>> = { province: "Tỉnh", district: "Huyện", commune: "Xã", village: "Thôn" };
/** Administrative words a name may already start with (then it is used as written). */
const VI_PREFIXES = [
  "tỉnh", "thành phố", "tp.", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn", "thôn", "ấp", "bản",
  "xóm", "làng", "tổ dân phố", "khu phố", "buôn", "sóc", "tổ",
];

function placeNames(name: string, kind: AreaKind): BilingualMessage {
  const lower = name.normalize("NFC").toLocaleLowerCase("vi");
  const prefix = VI_PREFIXES.find((p) => lower.startsWith(`${p} `));
  if (prefix === undefined) return { vi: `${KIND_VI[kind]} ${name}`, en: `${name} ${kind}` };
  const bare = name.normalize("NFC").slice(prefix.length + 1).trim();
  return { vi: name, en: prefix === KIND_VI[kind].toLocaleLowerCase("vi") ? `${bare} ${kind}` : name };
}

function localText(tz: string, ms: number): string {
  const p = localParts(tz, ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

function minutesOf(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** Thrown where quiet hours refuse a broadcast: English `message`, Vietnamese `messageVi`, all violations. */
export class QuietHoursError extends LoaError {
  readonly messageVi: string;
  readonly violations: QuietHoursViolation[];

  constructor(violations: QuietHoursViolation[]) {
    const first = violations[0];
    const more = violations.length > 1 ? violations.length - 1 : 0;
    const en = first ? `${first.message.en} (play at ${first.localAt})` : "quiet hours";
    const vi = first ? `${first.message.vi} (phát lúc ${first.localAt})` : "giờ yên tĩnh";
    super("quiet_hours", more ? `${en}, and ${more} more` : en, { violations });
    this.messageVi = more ? `${vi}, và ${more} trường hợp khác` : vi;
    this.violations = violations;
  }
}
