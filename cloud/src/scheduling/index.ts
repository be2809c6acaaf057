/**
 * Scheduling (ARCHITECTURE §2 Broadcast/Play, §3 "Plan, not push-at-time"): pure functions and small
 * classes; the caller does the I/O (store, MQTT). See README.md in this folder.
 */
export { CronError, InvalidTimeZoneError, InvalidTimeError } from "./errors.js";
export { parseCron, isValidCron, type CronSpec, type DayOfMonthSpec, type DayOfWeekSpec } from "./cron-parse.js";
export { matchesDay } from "./cron-days.js";
export { occurrences, nextOccurrence, toEpochMs, type OccurrenceBounds } from "./occurrences.js";
export { isValidTimeZone, assertTimeZone, localParts, offsetAt, type LocalParts } from "./zone.js";
export { expandBroadcast, type ExpandWindow, type ExpandableBroadcast } from "./expand.js";
export { resolveTargets, unknownTargets } from "./targets.js";
export {
  quietRuleOf,
  quietHoursAt,
  isQuietAt,
  checkQuietHours,
  quietHoursMessage,
  QuietHoursError,
  type QuietRule,
  type QuietHoursViolation,
  type QuietCheckInput,
  type BilingualMessage,
} from "./quiet-hours.js";
export {
  findConflicts,
  comparePrecedence,
  type PlayConflict,
  type ConflictSide,
  type ConflictRule,
} from "./conflicts.js";
export {
  planPlays,
  buildPlans,
  toPlanItems,
  toPlanItem,
  comparePlanOrder,
  DEFAULT_PLAN_HORIZON_H,
  type PlannedPlay,
  type PlanBuildInput,
  type PlanBuildResult,
  type SkippedBroadcast,
} from "./plans.js";
export { rollNeedsRebuild, prunePlans } from "./roll.js";
export { PlanVersioner, PlanVersionerState, fingerprintOf, planPayload, type PlanUpdate } from "./versioner.js";
