/**
 * Bundled profiles and loading by id or file path (ARCHITECTURE §5). The JSON files are imported, not read
 * from disk, so they travel with the compiled dist/ as well as with the sources.
 */
import { readFile } from "node:fs/promises";
import { errorMessage } from "../errors.js";
import loaAmpV1 from "./loa-amp-v1.json" with { type: "json" };
import relayBoardV1 from "./relay-board-v1.json" with { type: "json" };
import { ProfileError } from "./registers.js";
import { AmpProfile } from "./schema.js";

const BUNDLED: readonly unknown[] = [loaAmpV1, relayBoardV1];

export const DEFAULT_PROFILE_ID = "loa-amp-v1";

export type ProfileParseResult = { ok: true; profile: AmpProfile } | { ok: false; errors: string[] };

/** Validate profile JSON. Every problem is reported, each as `path.to.key: message`. */
export function parseProfile(json: unknown): ProfileParseResult {
  const result = AmpProfile.safeParse(json);
  if (result.success) return { ok: true, profile: result.data };
  return { ok: false, errors: result.error.issues.map((i) => `${i.path.map(String).join(".") || "(profile)"}: ${i.message}`) };
}

let bundled: Map<string, AmpProfile> | undefined;

function bundledProfiles(): Map<string, AmpProfile> {
  if (!bundled) {
    const map = new Map<string, AmpProfile>();
    for (const json of BUNDLED) {
      const profile = mustParse(json, "bundled profile");
      map.set(profile.id, profile);
    }
    bundled = map;
  }
  return bundled;
}

function mustParse(json: unknown, source: string): AmpProfile {
  const result = parseProfile(json);
  if (!result.ok) {
    throw new ProfileError("profile_invalid", `${source} is not a valid amplifier profile:\n  ${result.errors.join("\n  ")}`, {
      source,
      errors: result.errors,
    });
  }
  return result.profile;
}

/** The profiles shipped with Loa, in id order. */
export function listProfiles(): AmpProfile[] {
  return [...bundledProfiles().values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** A bundled profile by id; throws ProfileError `profile_not_found`. */
export function getProfile(id: string): AmpProfile {
  const profile = bundledProfiles().get(id);
  if (!profile) {
    const known = [...bundledProfiles().keys()].join(", ");
    throw new ProfileError("profile_not_found", `no bundled amplifier profile "${id}" (bundled: ${known})`, { id });
  }
  return profile;
}

/**
 * A bundled profile id, or a path to a profile JSON file (anything with a slash or ending in .json).
 * Throws ProfileError `profile_not_found` or `profile_invalid` (with every problem listed).
 */
export async function loadProfile(idOrPath: string): Promise<AmpProfile> {
  if (!/[\\/]|\.json$/i.test(idOrPath)) return getProfile(idOrPath);
  let text: string;
  try {
    text = await readFile(idOrPath, "utf8");
  } catch (err) {
    throw new ProfileError("profile_not_found", `cannot read amplifier profile ${idOrPath}`, { path: idOrPath }, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProfileError("profile_invalid", `${idOrPath} is not JSON: ${errorMessage(err)}`, { path: idOrPath }, { cause: err });
  }
  return mustParse(json, idOrPath);
}
