/** REST bodies and views for users and the session (ARCHITECTURE §7 auth, users). */
import { z } from "zod";
import { Id, Role, User } from "../model.js";
import { listOf } from "./common.js";

/** What the API ever shows of a user: never the password hash. */
export const UserView = User.omit({ passwordHash: true });
export type UserView = z.infer<typeof UserView>;
export const UserList = listOf(UserView);

/** Long enough to resist guessing, bounded so hashing a huge body cannot be used to burn CPU. */
export const Password = z.string().min(8, "password: at least 8 characters").max(256, "password: at most 256 characters");

const Username = User.shape.username;
const DisplayName = z.string().trim().min(1).max(200);

export const UserCreateBody = z
  .object({
    username: Username,
    password: Password,
    role: Role,
    areaId: Id,
    displayName: DisplayName.optional(),
  })
  .strict();
export type UserCreateBody = z.infer<typeof UserCreateBody>;

export const UserPatchBody = z
  .object({
    displayName: DisplayName.optional(),
    password: Password.optional(),
    role: Role.optional(),
    areaId: Id.optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to change: give at least one field" });
export type UserPatchBody = z.infer<typeof UserPatchBody>;

/** What a role may do (ARCHITECTURE §2); `/me` lists the caller's so the panel can hide what it cannot use. */
export const ApiPermission = z.enum([
  "areas.read",
  "areas.write",
  "users.read",
  "users.write",
  "devices.read",
  "devices.write",
  "devices.command",
  "bulletins.read",
  "bulletins.write",
  "broadcasts.read",
  "broadcasts.write",
  "plays.read",
]);
export type ApiPermission = z.infer<typeof ApiPermission>;

export const LoginBody = z
  .object({
    username: z.string().min(1, "username: required").max(64),
    password: z.string().min(1, "password: required").max(256),
  })
  .strict();
export type LoginBody = z.infer<typeof LoginBody>;

export const MeResponse = z.object({
  user: UserView,
  /** How this request was authenticated. */
  via: z.enum(["session", "token"]),
  permissions: z.array(ApiPermission),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const LoginResponse = MeResponse;
export type LoginResponse = z.infer<typeof LoginResponse>;

export const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: Password })
  .strict();
export type PasswordChangeBody = z.infer<typeof PasswordChangeBody>;

export const ApiTokenCreateBody = z.object({ name: z.string().trim().min(1, "name: required").max(100) }).strict();
export type ApiTokenCreateBody = z.infer<typeof ApiTokenCreateBody>;

export const ApiTokenView = z.object({
  id: Id,
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;
export const ApiTokenList = listOf(ApiTokenView);

/** The secret appears here once; only its hash is stored. */
export const ApiTokenCreated = ApiTokenView.extend({ token: z.string() });
export type ApiTokenCreated = z.infer<typeof ApiTokenCreated>;
