/**
 * API tokens for scripts (ARCHITECTURE §7 `Authorization: Bearer <token>`): the secret is shown once at
 * creation; the catalogue keeps its sha256. A token acts as its user, with the user's role and area.
 */
import type { ApiToken, Clock } from "@loa/shared";
import { isoOf, newId } from "@loa/shared";
import type { Catalog } from "../../ports/store.js";
import { newSecret, sha256Hex } from "./secrets.js";

/** Recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = "loa_";
/** lastUsedAt is refreshed at most this often, so scripts polling the API do not rewrite the catalogue. */
const TOUCH_EVERY_MS = 60 * 60_000;

export interface ApiTokenServiceDeps {
  catalog: Catalog;
  clock: Clock;
}

export class ApiTokenService {
  constructor(private readonly deps: ApiTokenServiceDeps) {}

  async create(userId: string, name: string): Promise<{ token: string; record: ApiToken }> {
    const token = newSecret(API_TOKEN_PREFIX);
    const record: ApiToken = {
      id: newId("tok"),
      userId,
      name,
      tokenHash: sha256Hex(token),
      createdAt: isoOf(this.deps.clock.now()),
    };
    await this.deps.catalog.update((draft) => {
      draft.tokens.push(record);
    });
    return { token, record };
  }

  listOf(userId: string): ApiToken[] {
    return this.deps.catalog.data().tokens.filter((t) => t.userId === userId);
  }

  /** Delete one of `userId`'s tokens; false when it has no such token. */
  async revoke(userId: string, tokenId: string): Promise<boolean> {
    return this.deps.catalog.update((draft) => {
      const i = draft.tokens.findIndex((t) => t.id === tokenId && t.userId === userId);
      if (i < 0) return false;
      draft.tokens.splice(i, 1);
      return true;
    });
  }

  /** The token record for a presented bearer secret, or undefined. */
  async resolve(secret: string): Promise<ApiToken | undefined> {
    if (!secret.startsWith(API_TOKEN_PREFIX) || secret.length > 200) return undefined;
    const hash = sha256Hex(secret);
    const found = this.deps.catalog.data().tokens.find((t) => t.tokenHash === hash);
    if (!found) return undefined;
    const now = this.deps.clock.now();
    if (found.lastUsedAt === undefined || now - Date.parse(found.lastUsedAt) >= TOUCH_EVERY_MS) {
      const lastUsedAt = isoOf(now);
      await this.deps.catalog.update((draft) => {
        const t = draft.tokens.find((x) => x.id === found.id);
        if (t) t.lastUsedAt = lastUsedAt;
      });
      return { ...found, lastUsedAt };
    }
    return found;
  }
}
