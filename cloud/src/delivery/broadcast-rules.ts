/**
 * The rules a new broadcast must pass (ARCHITECTURE §2 Broadcast, quiet hours; §7 POST /broadcasts), as
 * plain functions over the catalogue so they are tested without HTTP:
 * - the bulletin exists in the caller's subtree; every target exists (unknown ids are named) and lies in it;
 * - `when` reads: a known zone, a valid cron, `at` not in the past, `until` after `from`, and at least one
 *   occurrence left;
 * - non-emergency plays never fall in (or run into) a receiver's quiet hours; emergency ignores them.
 * Every refusal carries an English message and a Vietnamese one (`messageVi`, shown as `detailVi`).
 */
import {
  LoaError,
  isoOf,
  isLoaError,
  newId,
  type Broadcast,
  type BroadcastCreateBody,
  type Bulletin,
  type ProblemFieldError,
  type When,
} from "@loa/shared";
import type { AreaIndex } from "../core/areas.js";
import type { CatalogData } from "../ports/store.js";
import { ForbiddenError } from "../core/errors.js";
import { assertTimeZone, checkQuietHours, expandBroadcast, parseCron, QuietHoursError, resolveTargets, unknownTargets } from "../scheduling/index.js";

/** How far ahead occurrences are checked against quiet hours and for "any left" (a year and a month). */
export const RULE_WINDOW_MS = 400 * 86_400_000;
/** An `at` this far in the past is still accepted (a form submitted slowly), and plays at once. */
export const AT_PAST_TOLERANCE_MS = 60_000;

/** A refusal with both languages and the offending fields (→ problem `errors`). */
export class BroadcastRuleError extends LoaError {
  readonly messageVi: string;
  readonly errors: ProblemFieldError[];

  constructor(code: string, message: string, messageVi: string, errors: ProblemFieldError[] = [], details?: Record<string, unknown>) {
    super(code, message, details);
    this.messageVi = messageVi;
    this.errors = errors;
  }
}

export interface RuleInput {
  body: BroadcastCreateBody;
  data: Readonly<CatalogData>;
  areas: AreaIndex;
  actor: { id: string; areaId: string };
  nowMs: number;
  /** Zone of a cron without `tz` (LOA_TZ). */
  tz: string;
}

export interface CheckedBroadcast {
  broadcast: Broadcast;
  bulletin: Bulletin;
  deviceIds: string[];
}

/** The broadcast to store, or a BroadcastRuleError / QuietHoursError / ForbiddenError. */
export function checkNewBroadcast(input: RuleInput): CheckedBroadcast {
  const { body, data, areas, actor, nowMs } = input;
  const bulletin = bulletinOf(input);
  checkTargets(input);
  const when = normalizeWhen(body.when, input.tz, nowMs);
  const broadcast: Broadcast = {
    id: newId("brc"),
    bulletinId: bulletin.id,
    targets: { areaIds: [...new Set(body.targets.areaIds)], deviceIds: [...new Set(body.targets.deviceIds)] },
    priority: body.priority,
    when,
    status: "active",
    areaId: ownerArea(body.targets, data, areas, actor.areaId),
    createdBy: actor.id,
    createdAt: isoOf(nowMs),
    ...(body.volume !== undefined ? { volume: body.volume } : {}),
    ...(body.order !== undefined ? { order: body.order } : {}),
  };
  const deviceIds = resolveTargets(broadcast.targets, areas, data.devices);
  const instants = upcoming(broadcast, nowMs);
  if (instants.length === 0) {
    throw new BroadcastRuleError("no_occurrence", "the schedule has no occurrence left: check the cron, from and until", "Lịch phát không còn lần phát nào: hãy kiểm tra biểu thức lịch, ngày bắt đầu và ngày kết thúc.", [{ path: "$.when", message: "no occurrence left" }]);
  }
  const violations = checkQuietHours({ priority: broadcast.priority, occurrences: instants, deviceIds, devices: data.devices, areas, durationMs: bulletin.durationMs });
  if (violations.length > 0) throw new QuietHoursError(violations);
  return { broadcast, bulletin, deviceIds };
}

/** Occurrences from now (or a moment ago for `now`/`at`) within the rule window. */
export function upcoming(b: Broadcast, nowMs: number, limit = 2000): number[] {
  return expandBroadcast(b, { fromMs: nowMs - AT_PAST_TOLERANCE_MS, toMs: nowMs + RULE_WINDOW_MS, nowMs, limit });
}

function bulletinOf({ body, data, areas, actor }: RuleInput): Bulletin {
  const b = data.bulletins.find((x) => x.id === body.bulletinId);
  if (b && areas.isWithin(b.areaId, actor.areaId)) return b;
  throw new BroadcastRuleError("bulletin_unknown", `there is no bulletin ${body.bulletinId} in your area`, `Không có bản tin ${body.bulletinId} trong khu vực của bạn.`, [{ path: "$.bulletinId", message: `unknown bulletin ${body.bulletinId}` }]);
}

function checkTargets({ body, data, areas, actor }: RuleInput): void {
  const unknown = unknownTargets(body.targets, data.areas, data.devices);
  const errors = [
    ...unknown.areaIds.map((id) => ({ path: `$.targets.areaIds[${body.targets.areaIds.indexOf(id)}]`, message: `unknown area ${id}` })),
    ...unknown.deviceIds.map((id) => ({ path: `$.targets.deviceIds[${body.targets.deviceIds.indexOf(id)}]`, message: `unknown device ${id}` })),
  ];
  if (errors.length > 0) {
    const names = [...unknown.areaIds, ...unknown.deviceIds].join(", ");
    throw new BroadcastRuleError("unknown_targets", `unknown targets: ${names}`, `Không tìm thấy nơi nhận: ${names}.`, errors, unknown);
  }
  const deviceArea = new Map(data.devices.map((d) => [d.id, d.areaId]));
  const outside = [
    ...body.targets.areaIds.filter((id) => !areas.isWithin(id, actor.areaId)),
    ...body.targets.deviceIds.filter((id) => !areas.isWithin(deviceArea.get(id) ?? "", actor.areaId)),
  ];
  if (outside.length > 0) throw new ForbiddenError(`targets outside your area: ${outside.join(", ")}`, { targets: outside });
}

function normalizeWhen(when: BroadcastCreateBody["when"], defaultTz: string, nowMs: number): When {
  if ("now" in when) return { now: true };
  if ("at" in when) {
    const at = Date.parse(when.at);
    if (at < nowMs - AT_PAST_TOLERANCE_MS) {
      throw new BroadcastRuleError("invalid_time", `at ${when.at} is in the past`, `Thời điểm phát ${when.at} đã qua.`, [{ path: "$.when.at", message: "in the past" }]);
    }
    return { at: isoOf(at) };
  }
  const tz = when.tz ?? defaultTz;
  wrap("$.when.tz", "Múi giờ không hợp lệ", () => assertTimeZone(tz));
  wrap("$.when.cron", "Biểu thức lịch (cron) không hợp lệ", () => parseCron(when.cron));
  const out: When = { cron: when.cron, tz };
  if (when.from !== undefined) out.from = isoOf(Date.parse(when.from));
  if (when.until !== undefined) out.until = isoOf(Date.parse(when.until));
  if (out.from !== undefined && out.until !== undefined && Date.parse(out.until) <= Date.parse(out.from)) {
    throw new BroadcastRuleError("invalid_time", "until must be after from", "Ngày kết thúc phải sau ngày bắt đầu.", [{ path: "$.when.until", message: "not after from" }]);
  }
  return out;
}

/** Scheduling errors (English only) as rule errors with a Vietnamese message and the field. */
function wrap(path: string, vi: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isLoaError(err)) throw err;
    throw new BroadcastRuleError(err.code, err.message, `${vi}: ${err.message}`, [{ path, message: err.message }], err.details);
  }
}

/**
 * The area that owns the broadcast (scoping of who sees and changes it): the deepest area holding every
 * target, never above the creator's own area. A province admin's broadcast to one commune then belongs to
 * that commune, so its staff see it; staff of another commune do not.
 */
export function ownerArea(targets: BroadcastCreateBody["targets"], data: Readonly<CatalogData>, areas: AreaIndex, actorAreaId: string): string {
  const deviceArea = new Map(data.devices.map((d) => [d.id, d.areaId]));
  const places = [...targets.areaIds, ...targets.deviceIds.map((id) => deviceArea.get(id) ?? actorAreaId)];
  let common: string[] | undefined;
  for (const id of places) {
    const chain = areas.ancestry(id).map((a) => a.id).reverse();
    if (!common) common = chain;
    else {
      let i = 0;
      while (i < common.length && i < chain.length && common[i] === chain[i]) i++;
      common = common.slice(0, i);
    }
  }
  const owner = common?.[common.length - 1];
  return owner !== undefined && areas.isWithin(owner, actorAreaId) ? owner : actorAreaId;
}
