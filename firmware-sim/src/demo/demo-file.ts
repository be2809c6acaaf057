/**
 * `data/demo.json`: what the demo seeded and the logins it made, so a second `npm run demo` reuses the
 * same cloud data instead of seeding twice, and can print the same logins again. It holds passwords of a
 * local demo only (mode 0600).
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";

export interface DemoLogin {
  username: string;
  password: string;
  role: "admin" | "staff" | "operator";
  /** Where the user acts, as a person reads it ("Xã Phong Niên"). */
  area: string;
}

export interface DemoFile {
  version: 1;
  adminPassword: string;
  /** API token of the admin for the demo's own REST calls (checked, and replaced when refused). */
  apiToken?: string;
  /** Seeded users other than admin, by username. */
  users: Record<string, DemoLogin>;
  createdAt: string;
}

/** A password that is easy to type from the screen: 4 groups of 4 lowercase letters and digits. */
export function demoPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length] ?? "x");
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

export function newDemoFile(now: Date): DemoFile {
  return { version: 1, adminPassword: demoPassword(), users: {}, createdAt: now.toISOString() };
}

function isDemoFile(v: unknown): v is DemoFile {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return o["version"] === 1 && typeof o["adminPassword"] === "string" && typeof o["users"] === "object" && o["users"] !== null;
}

/** The file, or undefined when it does not exist; throws with a clear message when it is damaged. */
export async function loadDemoFile(path: string): Promise<DemoFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON: fix it, or remove the data folder to start the demo from scratch`);
  }
  if (!isDemoFile(json)) throw new Error(`${path} is not a demo file this version understands; remove the data folder to start over`);
  return json;
}

export async function saveDemoFile(path: string, file: DemoFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}
