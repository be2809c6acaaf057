/**
 * Cron expressions for recurring broadcasts (ARCHITECTURE §2 `when: {cron, tz}`):
 * `sec min hour day-of-month month day-of-week`; five fields mean `sec = 0`.
 *
 * Accepts everything node-cron 4's `validate()` accepts (node-cron drives periodic jobs elsewhere, so staff
 * learn one syntax): `*`, lists, ranges (also wrapping: `22-2`, `FRI-MON`), steps (`*\/5`, `1-30/2`), names
 * (JAN–DEC, SUN–SAT, full names too, any case), day-of-week 0 and 7 = Sunday, `?` for a whole
 * day field, nicknames (`@daily`…), and node-cron's extensions: `L`, `L-n`, `nW`, `LW` in day-of-month,
 * `nL` (last such weekday) and `n#k` (k-th such weekday) in day-of-week. It also accepts `a/n` (a to the
 * field's end, step n), which node-cron refuses.
 *
 * One deliberate difference: when both day fields are restricted (neither starts with `*` or `?`), a day
 * matches if EITHER matches (`0 0 1 * MON` = the 1st and every Monday), as in Vixie cron and POSIX;
 * node-cron requires both.
 */
import { CronError } from "./errors.js";

export interface DayOfMonthSpec {
  /** Plain days 1–31. */
  readonly days: ReadonlySet<number>;
  /** `L`: the last day of the month. */
  readonly last: boolean;
  /** `L-n`: n days before the last day. */
  readonly lastOffsets: readonly number[];
  /** `nW` / `LW` (0 stands for L): the weekday nearest to that day, inside the month. */
  readonly nearestWeekday: readonly number[];
}

export interface DayOfWeekSpec {
  /** Weekdays 0–6, 0 = Sunday. */
  readonly days: ReadonlySet<number>;
  /** `d#k`: the k-th weekday d of the month. */
  readonly nth: readonly { weekday: number; n: number }[];
  /** `dL`: the last weekday d of the month. */
  readonly last: readonly number[];
}

/** A parsed cron expression; numeric lists are sorted and unique. */
export interface CronSpec {
  readonly source: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  readonly dayOfMonth: DayOfMonthSpec;
  readonly dayOfWeek: DayOfWeekSpec;
  /** Both day fields restricted → OR semantics (see the header). */
  readonly dayOr: boolean;
}

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Largest value a wrapping range counts up to (day-of-week accepts 7 but wraps after 6). */
  readonly wrapMax: number;
  readonly names?: readonly string[];
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTHS_FULL = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAYS_FULL = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

const FIELDS: readonly FieldDef[] = [
  { name: "second", min: 0, max: 59, wrapMax: 59 },
  { name: "minute", min: 0, max: 59, wrapMax: 59 },
  { name: "hour", min: 0, max: 23, wrapMax: 23 },
  { name: "day-of-month", min: 1, max: 31, wrapMax: 31 },
  { name: "month", min: 1, max: 12, wrapMax: 12, names: MONTHS },
  { name: "day-of-week", min: 0, max: 7, wrapMax: 6, names: DAYS },
];

const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parse and validate; throws `CronError` (code `invalid_cron`) naming the field at fault. */
export function parseCron(expression: string): CronSpec {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    const expanded = NICKNAMES[trimmed.toLowerCase()];
    if (expanded === undefined) throw new CronError(expression, "expression", `unknown nickname ${trimmed}`, trimmed);
    return build(expression, ["0", ...expanded.split(" ")]);
  }
  const raw = trimmed === "" ? [] : trimmed.split(/\s+/);
  if (raw.length !== 5 && raw.length !== 6) {
    throw new CronError(
      expression,
      "expression",
      `expected 6 fields (second minute hour day-of-month month day-of-week) or 5 (without second), got ${raw.length}`,
    );
  }
  return build(expression, raw.length === 5 ? ["0", ...raw] : raw);
}

/** True when `parseCron` would accept the expression. */
export function isValidCron(expression: string): boolean {
  try {
    parseCron(expression);
    return true;
  } catch {
    return false;
  }
}

function build(expression: string, f: string[]): CronSpec {
  const [sec, min, hour, dom, mon, dow] = f as [string, string, string, string, string, string];
  const fieldAt = (i: number): FieldDef => FIELDS[i] as FieldDef;
  const spec: CronSpec = {
    source: expression,
    seconds: numbers(expression, fieldAt(0), sec),
    minutes: numbers(expression, fieldAt(1), min),
    hours: numbers(expression, fieldAt(2), hour),
    months: numbers(expression, fieldAt(4), mon),
    dayOfMonth: parseDayOfMonth(expression, dom),
    dayOfWeek: parseDayOfWeek(expression, dow),
    dayOr: !isWildcard(dom) && !isWildcard(dow),
  };
  checkPossible(expression, spec, dom, mon);
  return spec;
}

function isWildcard(field: string): boolean {
  return field.startsWith("*") || field === "?";
}

/** A plain numeric field: a sorted, unique list. */
function numbers(expr: string, def: FieldDef, field: string): number[] {
  const out = new Set<number>();
  for (const item of items(expr, def, field)) for (const v of expandItem(expr, def, item)) out.add(v);
  return [...out].sort((a, b) => a - b);
}

function items(expr: string, def: FieldDef, field: string): string[] {
  const list = field.split(",");
  if (list.some((i) => i === "")) throw new CronError(expr, def.name, `empty list item in "${field}"`, field);
  return list;
}

/** `*`, `*\/n`, `a`, `a-b`, `a-b/n`, `a/n` → values (day-of-week 7 → 0). */
function expandItem(expr: string, def: FieldDef, item: string): number[] {
  const m = /^([^/]+)(?:\/(.*))?$/.exec(item);
  if (!m) throw new CronError(expr, def.name, `cannot read "${item}"`, item);
  const [, base = "", stepText] = m;
  const step = stepText === undefined ? 1 : parseStep(expr, def, stepText);
  let from: number;
  let to: number;
  if (base === "*") {
    from = def.min;
    to = def.wrapMax;
  } else if (base.includes("-")) {
    const [a = "", b = "", ...rest] = base.split("-");
    if (rest.length > 0) throw new CronError(expr, def.name, `cannot read range "${item}"`, item);
    from = value(expr, def, a);
    to = value(expr, def, b);
  } else {
    from = value(expr, def, base);
    to = stepText === undefined ? from : def.wrapMax;
  }
  return rangeValues(def, from, to, step).map((v) => (def.name === "day-of-week" && v === 7 ? 0 : v));
}

function parseStep(expr: string, def: FieldDef, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new CronError(expr, def.name, `step "${text}" must be a whole number of at least 1`, text);
  }
  return Number(text);
}

/** Inclusive range; `from > to` wraps past the field's end back to its start (node-cron does the same). */
function rangeValues(def: FieldDef, from: number, to: number, step: number): number[] {
  const out: number[] = [];
  if (def.name === "day-of-week" && from === 7 && to < 7) from = 0; // SUN(7)-TUE = 0-2
  if (from <= to) {
    for (let v = from; v <= to; v += step) out.push(v);
    return out;
  }
  const size = def.wrapMax - def.min + 1;
  const span = (((to - from) % size) + size) % size;
  for (let off = 0; off <= span; off += step) {
    const v = from + off;
    out.push(v > def.wrapMax ? v - size : v);
  }
  return out;
}

/** One number or name, range-checked. */
function value(expr: string, def: FieldDef, text: string): number {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    if (v < def.min || v > def.max) {
      throw new CronError(expr, def.name, `${text} is out of range ${def.min}–${def.max}`, text);
    }
    return v;
  }
  const named = nameValue(def, text.toLowerCase());
  if (named === undefined) {
    const hint = def.names ? ` (use ${def.min}–${def.max} or ${def.names[0]?.toUpperCase()}…)` : ` (use ${def.min}–${def.max})`;
    throw new CronError(expr, def.name, `"${text}" is not a valid value${hint}`, text);
  }
  return named;
}

function nameValue(def: FieldDef, lower: string): number | undefined {
  if (def.names === MONTHS) {
    const i = Math.max(MONTHS.indexOf(lower), MONTHS_FULL.indexOf(lower));
    return i < 0 ? undefined : i + 1;
  }
  if (def.names === DAYS) {
    const i = Math.max(DAYS.indexOf(lower), DAYS_FULL.indexOf(lower));
    return i < 0 ? undefined : i;
  }
  return undefined;
}

function parseDayOfMonth(expr: string, field: string): DayOfMonthSpec {
  const def = FIELDS[3] as FieldDef;
  const spec = { days: new Set<number>(), last: false, lastOffsets: [] as number[], nearestWeekday: [] as number[] };
  if (field === "?") return { ...spec, days: new Set(allValues(def)) };
  for (const item of items(expr, def, field)) {
    const upper = item.toUpperCase();
    const lastOffset = /^L-(\d+)$/.exec(upper);
    const nearest = /^(\d+|L)W$/.exec(upper);
    if (upper === "L") spec.last = true;
    else if (lastOffset) spec.lastOffsets.push(boundedInt(expr, def.name, lastOffset[1] ?? "", 1, 30, item));
    else if (nearest) spec.nearestWeekday.push(nearest[1] === "L" ? 0 : boundedInt(expr, def.name, nearest[1] ?? "", 1, 31, item));
    else for (const v of expandItem(expr, def, item)) spec.days.add(v);
  }
  return spec;
}

function parseDayOfWeek(expr: string, field: string): DayOfWeekSpec {
  const def = FIELDS[5] as FieldDef;
  const spec = { days: new Set<number>(), nth: [] as { weekday: number; n: number }[], last: [] as number[] };
  if (field === "?") return { ...spec, days: new Set(allValues(def)) };
  for (const item of items(expr, def, field)) {
    const nth = /^([^#]+)#(.*)$/.exec(item);
    const last = /^(.+)L$/i.exec(item);
    if (nth) {
      const weekday = value(expr, def, nth[1] ?? "") % 7;
      spec.nth.push({ weekday, n: boundedInt(expr, def.name, nth[2] ?? "", 1, 5, item) });
    } else if (last) {
      spec.last.push(value(expr, def, last[1] ?? "") % 7);
    } else for (const v of expandItem(expr, def, item)) spec.days.add(v);
  }
  return spec;
}

function allValues(def: FieldDef): number[] {
  return rangeValues(def, def.min, def.wrapMax, 1);
}

function boundedInt(expr: string, field: string, text: string, min: number, max: number, item: string): number {
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= min && v <= max)) throw new CronError(expr, field, `"${item}": ${text || "?"} must be ${min}–${max}`, item);
  return v;
}

/** Refuse an expression that can never fire, e.g. `0 0 30 2 *` (node-cron refuses these too). */
function checkPossible(expr: string, spec: CronSpec, domField: string, monField: string): void {
  const dom = spec.dayOfMonth;
  const onlyPlainDays = !dom.last && dom.lastOffsets.length === 0 && dom.nearestWeekday.length === 0;
  if (spec.dayOr || !onlyPlainDays || isWildcard(domField)) return;
  const possible = spec.months.some((m) => [...dom.days].some((d) => d <= (DAYS_IN_MONTH[m - 1] ?? 31)));
  if (!possible) {
    throw new CronError(expr, "day-of-month", `day ${domField} never occurs in month ${monField}`, domField);
  }
}
