/**
 * Login sessions. Persisted in the catalogue's meta (key `auth.sessions`) so a cloud restart does not log
 * everyone out; only the sha256 of the cookie value is stored, so a leaked data file yields no usable
 * cookie. Expiry slides: a session used in the second half of its life is extended, which costs at most one
 * catalogue write per session per half-TTL.
 */
import type { Clock } from "@loa/shared";
import { z } from "zod";
import type { Catalog, CatalogData } from "../../ports/store.js";
import { newSecret, sha256Hex } from "./secrets.js";

export const SESSIONS_META_KEY = "auth.sessions";
const MAX_SESSIONS_PER_USER = 20;

const SessionRecord = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  userId: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

/** Parsed lists by the stored array: every catalogue update replaces the array, so this never goes stale. */
const parsedCache = new WeakMap<object, readonly SessionRecord[]>();

/** The cached parsed list (shared: never mutate); malformed entries (hand-edited file) are ignored. */
function parsedSessions(data: Readonly<CatalogData>): readonly SessionRecord[] {
  const raw = data.meta[SESSIONS_META_KEY];
  if (!Array.isArray(raw)) return [];
  let parsed = parsedCache.get(raw);
  if (!parsed) {
    parsed = raw.flatMap((r) => {
      const one = SessionRecord.safeParse(r);
      return one.success ? [one.data] : [];
    });
    parsedCache.set(raw, parsed);
  }
  return parsed;
}

/** The sessions in a catalogue state (a fresh array of copies, safe to change inside an update). */
export function readSessions(data: Readonly<CatalogData>): SessionRecord[] {
  return parsedSessions(data).map((s) => ({ ...s }));
}

/** A copy of the session stored under `hash`; looked up without copying the whole list (every request does this). */
function findSession(data: Readonly<CatalogData>, hash: string): SessionRecord | undefined {
  const found = parsedSessions(data).find((s) => s.hash === hash);
  return found && { ...found };
}

/** Inside a catalogue update: drop every session of `userId` (password change, disable, delete). */
export function dropUserSessions(draft: CatalogData, userId: string, keepHash?: string): void {
  draft.meta[SESSIONS_META_KEY] = readSessions(draft).filter((s) => s.userId !== userId || s.hash === keepHash);
}

export interface SessionStoreDeps {
  catalog: Catalog;
  clock: Clock;
  ttlMs: number;
}

export class SessionStore {
  constructor(private readonly deps: SessionStoreDeps) {}

  /** Start a session; the returned token is the cookie value (never stored). */
  async create(userId: string): Promise<{ token: string; hash: string; expiresAt: number }> {
    const token = newSecret();
    const now = this.deps.clock.now();
    const record: SessionRecord = { hash: sha256Hex(token), userId, createdAt: now, expiresAt: now + this.deps.ttlMs };
    await this.deps.catalog.update((draft) => {
      const live = readSessions(draft).filter((s) => s.expiresAt > now);
      const mine = live.filter((s) => s.userId === userId);
      const excess = new Set(mine.slice(0, Math.max(0, mine.length + 1 - MAX_SESSIONS_PER_USER)).map((s) => s.hash));
      draft.meta[SESSIONS_META_KEY] = [...live.filter((s) => !excess.has(s.hash)), record];
    });
    return { token, hash: record.hash, expiresAt: record.expiresAt };
  }

  /**
   * The live session for a cookie value, extending it when past half its life (`extended`: the caller
   * re-sends the cookie with the new expiry); undefined when unknown or expired.
   */
  async resolve(token: string): Promise<(SessionRecord & { extended: boolean }) | undefined> {
    if (token.length === 0 || token.length > 200) return undefined;
    const hash = sha256Hex(token);
    const now = this.deps.clock.now();
    const found = findSession(this.deps.catalog.data(), hash);
    if (!found || found.expiresAt <= now) return undefined;
    if (found.expiresAt - now >= this.deps.ttlMs / 2) return { ...found, extended: false };
    const expiresAt = now + this.deps.ttlMs;
    await this.deps.catalog.update((draft) => {
      draft.meta[SESSIONS_META_KEY] = readSessions(draft).map((s) => (s.hash === hash ? { ...s, expiresAt } : s));
    });
    return { ...found, expiresAt, extended: true };
  }

  async destroy(token: string): Promise<SessionRecord | undefined> {
    const hash = sha256Hex(token);
    const found = findSession(this.deps.catalog.data(), hash);
    if (!found) return undefined;
    await this.deps.catalog.update((draft) => {
      draft.meta[SESSIONS_META_KEY] = readSessions(draft).filter((s) => s.hash !== hash);
    });
    return found;
  }
}
