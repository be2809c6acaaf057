/**
 * Size bounds of the MQTT protocol (ARCHITECTURE §3). A payload beyond any of them is rejected before or
 * while parsing, so a broken or hostile peer cannot make a process allocate without bound.
 */
export const LIMITS = {
  /** Plays in one retained plan. */
  planItems: 2000,
  /** Events in one `events` batch. */
  eventsPerBatch: 500,
  /** Chunk indexes in one `media/req`, and chunks per media file. */
  missingChunks: 100_000,
  /** Smallest and largest media chunk (the default is 64 KiB). */
  chunkSizeMin: 1024,
  chunkSizeMax: 1024 * 1024,
  /** Largest media file a plan or command may reference. */
  mediaBytesMax: 1024 * 1024 * 1024,
  /** Longest bulletin: 24 h. */
  durationMsMax: 24 * 3600 * 1000,
  /** Free-text fields (reason, detail, error message). */
  textMax: 500,
  /** Identifiers (playId, cmdId, bootId, profile id, fault code). */
  idMax: 128,
  /** Fault codes reported together in telemetry. */
  faultsMax: 32,
} as const;

/** Default media chunk size (ARCHITECTURE §3: 64 KiB). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/**
 * Largest encoded payload per topic kind, checked on the raw bytes before JSON.parse. Each bound leaves
 * room for the largest valid payload of that kind (e.g. 2000 plan items of ~350 bytes).
 */
export const MAX_PAYLOAD_BYTES = {
  status: 4 * 1024,
  telemetry: 16 * 1024,
  events: 1024 * 1024,
  ack: 1024,
  plan: 2 * 1024 * 1024,
  cmd: 16 * 1024,
  cmdRes: 64 * 1024,
  mediaReq: 1024 * 1024,
  timeReq: 1024,
  timeRes: 1024,
} as const;

/** A media chunk is raw bytes, not JSON: at most one chunk of the largest chunk size. */
export const MAX_MEDIA_CHUNK_BYTES = LIMITS.chunkSizeMax;
