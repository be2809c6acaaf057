/**
 * A test acting as the cloud's admin over REST (ARCHITECTURE §7): an API token made after a session login
 * (`POST /api/v1/tokens`, what a script or `loa-sim fleet` acts with), a RestClient on it, and areas.
 */
import { ANY, RestClient } from "../../firmware-sim/src/fleet/rest-client.js";
import { loginCookie } from "./login.js";

/** A new API token named `name`, of the user whose session `cookie` is. */
export async function createApiToken(baseUrl: string, cookie: string, name: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/tokens`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ name }) });
  if (!res.ok) throw new Error(`POST /api/v1/tokens: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Log in as `admin` with `password`, make an API token named `tokenName`, and a client acting with it. */
export async function adminApi(baseUrl: string, password: string, tokenName: string): Promise<{ token: string; api: RestClient }> {
  const token = await createApiToken(baseUrl, await loginCookie(baseUrl, "admin", password), tokenName);
  return { token, api: new RestClient({ baseUrl, token }) };
}

/** The area the caller is scoped to (`GET /api/v1/me`; the admin's is the root of the tree). */
export async function ownAreaId(api: RestClient): Promise<string> {
  return ((await api.get("/api/v1/me", ANY)) as { user: { areaId: string } }).user.areaId;
}

/** A new area `name` of `kind` under `parentId`; its id. */
export async function createArea(api: RestClient, name: string, parentId: string, kind: string): Promise<string> {
  return ((await api.post("/api/v1/areas", { json: { name, parentId, kind } }, ANY)) as { id: string }).id;
}
