/**
 * The audit log (ARCHITECTURE §7 "every change written to an audit log"): one journal line per successful
 * change, `{kind:"audit", ts, who, action, target, details?}`. Details name what changed, never secrets
 * (a password change is recorded as the field name `password`, not its value).
 */
import type { Clock } from "@loa/shared";
import type { Logger } from "pino";
import { z } from "zod";
import type { Journal } from "../ports/store.js";

export const AuditWho = z.object({
  userId: z.string(),
  username: z.string(),
  /** How the actor authenticated: a session, an API token, or the system itself. */
  via: z.enum(["session", "token", "system"]),
  ip: z.string().optional(),
});
export type AuditWho = z.infer<typeof AuditWho>;

export const AuditEntry = z.object({
  kind: z.literal("audit"),
  ts: z.number(),
  who: AuditWho,
  /** `<resource>.<verb>`, e.g. `device.create`, `user.update`, `auth.login`. */
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export interface AuditInput {
  who: AuditWho;
  action: string;
  target: { type: string; id: string };
  details?: Record<string, unknown>;
}

export interface AuditLogDeps {
  journal: Journal;
  clock: Clock;
  log: Logger;
}

export class AuditLog {
  constructor(private readonly deps: AuditLogDeps) {}

  /**
   * Append one entry and wait until it is durable. A failing journal is logged, not thrown: the change it
   * describes has already been made, and answering 500 would tell the caller it was not.
   */
  async record(input: AuditInput): Promise<void> {
    const entry: AuditEntry = { kind: "audit", ts: this.deps.clock.now(), ...input };
    try {
      await this.deps.journal.append(entry);
    } catch (err) {
      this.deps.log.error({ err, audit: entry }, "could not write an audit entry");
    }
  }
}

/** Audit entries in a journal, oldest first, optionally filtered (used by tests and future audit views). */
export async function readAudit(journal: Journal, filter: (e: AuditEntry) => boolean = () => true): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  await journal.replay((raw) => {
    if (raw.kind !== "audit") return;
    const parsed = AuditEntry.safeParse(raw);
    if (parsed.success && filter(parsed.data)) out.push(parsed.data);
  });
  return out;
}
