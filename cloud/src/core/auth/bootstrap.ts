/**
 * First start (ARCHITECTURE §7): with no users, create `admin` at the root of the area tree (creating a
 * root province when there is no area yet), with LOA_ADMIN_PASSWORD or a generated password that is logged
 * once and returned so main.ts can print it.
 */
import type { Area, Clock, User } from "@loa/shared";
import { isoOf, newId } from "@loa/shared";
import type { Logger } from "pino";
import type { Catalog } from "../../ports/store.js";
import { DEFAULT_SCRYPT_COST, hashPassword, type ScryptCost } from "./password.js";
import { newReadablePassword } from "./secrets.js";

export interface BootstrapAdminDeps {
  catalog: Catalog;
  clock: Clock;
  log: Logger;
  /** LOA_ADMIN_PASSWORD; generated when absent or empty. */
  adminPassword?: string | undefined;
  /** Name of the root province created when the tree is empty. Default "Tỉnh". */
  rootAreaName?: string;
  passwordCost?: ScryptCost;
}

export type BootstrapResult =
  | { created: false }
  | { created: true; username: string; password: string; generated: boolean; areaId: string };

export const BOOTSTRAP_USERNAME = "admin";

export async function bootstrapAdmin(deps: BootstrapAdminDeps): Promise<BootstrapResult> {
  if (deps.catalog.data().users.length > 0) return { created: false };
  const generated = !deps.adminPassword;
  const password = deps.adminPassword || newReadablePassword();
  // Hash before the update: the change function must stay synchronous.
  const passwordHash = await hashPassword(password, deps.passwordCost ?? DEFAULT_SCRYPT_COST);
  const createdAt = isoOf(deps.clock.now());
  const result = await deps.catalog.update((draft) => {
    if (draft.users.length > 0) return undefined; // another start won the race
    let root = draft.areas.find((a) => a.parentId === null);
    if (!root) {
      root = { id: newId("area"), name: deps.rootAreaName ?? "Tỉnh", parentId: null, kind: "province" } satisfies Area;
      draft.areas.push(root);
    }
    const user: User = { id: newId("usr"), username: BOOTSTRAP_USERNAME, passwordHash, role: "admin", areaId: root.id, createdAt };
    draft.users.push(user);
    return { areaId: root.id };
  });
  if (!result) return { created: false };
  if (generated) {
    deps.log.warn({ username: BOOTSTRAP_USERNAME, password }, "created the first admin with a generated password: note it now, it is shown only once");
  } else {
    deps.log.info({ username: BOOTSTRAP_USERNAME }, "created the first admin with the password from LOA_ADMIN_PASSWORD");
  }
  return { created: true, username: BOOTSTRAP_USERNAME, password, generated, areaId: result.areaId };
}
