import { randomBytes, randomUUID } from "node:crypto";

/** Short random id with a readable prefix, e.g. `dev_3f9a1c2b7d4e`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function newUuid(): string {
  return randomUUID();
}

/** ARCHITECTURE §2: playId is deterministic, `<broadcastId>:<occurrence epoch ms>`. */
export function playIdOf(broadcastId: string, occurrenceMs: number): string {
  return `${broadcastId}:${occurrenceMs}`;
}
