/** The catalogue file's schema, built from the domain schemas in @loa/shared (ARCHITECTURE §2, §8). */
import { z } from "zod";
import { ApiToken, Area, Broadcast, Bulletin, Device, User } from "@loa/shared";
import type { CatalogData } from "../../ports/store.js";

export const CatalogSchema = z.object({
  areas: z.array(Area),
  users: z.array(User),
  devices: z.array(Device),
  bulletins: z.array(Bulletin),
  broadcasts: z.array(Broadcast),
  tokens: z.array(ApiToken),
  meta: z.record(z.string(), z.unknown()),
});

// Compile-time check that the schema and the port's CatalogData stay the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameShape: Same<z.infer<typeof CatalogSchema>, CatalogData> = true;
void _sameShape;

/** A short human description of the first few problems, for error messages. */
export function describeIssues(error: z.ZodError, max = 3, prefix: PropertyKey[] = []): string {
  const parts = error.issues.slice(0, max).map((i) => {
    const path = [...prefix, ...i.path].map(String);
    return `${path.length ? path.join(".") : "(root)"}: ${i.message}`;
  });
  const more = error.issues.length > max ? ` (and ${error.issues.length - max} more)` : "";
  return parts.join("; ") + more;
}
