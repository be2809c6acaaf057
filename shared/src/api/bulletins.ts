/**
 * REST bodies and views for bulletins, the audio assets (ARCHITECTURE §2 Bulletin, §6 audio, §7
 * `/api/v1/bulletins`). The upload itself is multipart; `BulletinUploadFields` checks its text fields.
 */
import { z } from "zod";
import { Bulletin, BulletinSource, Codec, Id } from "../model.js";
import { listOf } from "./common.js";

/** Titles are labels staff read in lists: trimmed, 1–200 characters, stored verbatim otherwise. */
export const BulletinTitle = z
  .string({ error: (i) => (i.input === undefined ? "title: required" : "title: must be text") })
  .trim().min(1, "title: required").max(200, "title: at most 200 characters");

/** What the API shows: the record plus what the panel needs beside it. */
export const BulletinView = Bulletin.extend({
  /** The creator's username; null when that user has since been deleted. */
  createdByUsername: z.string().nullable(),
  /** Content-Type of the stored file (`audio/ogg; codecs=opus` or `audio/mpeg`). */
  mimeType: z.string(),
  /** Where to fetch the audio (`GET /api/v1/bulletins/:id/audio`, Range supported). */
  audioUrl: z.string(),
});
export type BulletinView = z.infer<typeof BulletinView>;
export const BulletinList = listOf(BulletinView);

export const BulletinListQuery = z
  .object({
    /** Bulletins in this area's subtree (default: the caller's whole subtree). */
    areaId: Id.optional(),
    source: BulletinSource.optional(),
  })
  .strict();
export type BulletinListQuery = z.infer<typeof BulletinListQuery>;

/** `POST /api/v1/bulletins` and `/tts` answer with the record under `bulletin`. */
export const BulletinCreated = z.object({ bulletin: BulletinView });
export type BulletinCreated = z.infer<typeof BulletinCreated>;

/** The multipart form's names, in the order a client should send them (text fields before the file). */
export const BULLETIN_UPLOAD_FIELDS = ["title", "codec", "areaId", "file"] as const;

/** Text fields of the multipart upload (`file` is the one file part). */
export const BulletinUploadFields = z
  .object({
    title: BulletinTitle,
    /** Stored codec; default the server's (Opus). */
    codec: Codec.optional(),
    /** Default the caller's area; must lie in the caller's subtree. */
    areaId: Id.optional(),
  })
  .strict();
export type BulletinUploadFields = z.infer<typeof BulletinUploadFields>;

/** espeak-ng voice names (`vi`, `en-us`, `vi+f3`); never something that looks like an option. */
export const TtsVoice = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_+-]{0,63}$/, "voice: a voice name like vi");

export const BulletinTtsBody = z
  .object({
    title: BulletinTitle,
    /**
     * The text to speak. Emptiness and the length limit (code points, after NFC) are checked by the media
     * pipeline, whose error carries a Vietnamese message; this bound only caps the body.
     */
    text: z.string().max(50_000, "text: far too long"),
    voice: TtsVoice.optional(),
    codec: Codec.optional(),
    areaId: Id.optional(),
  })
  .strict();
export type BulletinTtsBody = z.infer<typeof BulletinTtsBody>;
