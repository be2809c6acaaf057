/**
 * Scheduling and delivery, cloud side (ARCHITECTURE §2, §3, §7): `createDelivery` is the one entry point.
 * See README.md in this folder.
 */
export { createDelivery, type Delivery, type DeliveryConfig, type DeliveryDeps, type DeliveryStats, type DevicePresence } from "./delivery.js";
export type { DeliveryApi } from "./api.js";
export type { DeliveryBus, EventsHandler, MediaReqHandler } from "./bus.js";
export { MqttDeliveryBus } from "./mqtt-bus.js";
export { MemoryDeliveryBus, type Published } from "./memory-bus.js";
export { PlayBook, applyPlayEvent, type PlayChange, type PlayChangeListener, type Step, type SweepOptions } from "./play-book.js";
export { PlayIndex, STATUS_RANK, type PlayRecord } from "./play-index.js";
export { PlanService, PLAN_VERSIONS_META, type ReplanResult, type ReplanOptions, type PlanStats } from "./plan-service.js";
export { EventIngest, SEEN_WINDOW, type EventIngestStats } from "./event-ingest.js";
export { MediaDistributor, DEFAULT_MAX_MEDIA_BYTES_PER_SEC, type MediaStats } from "./media-distributor.js";
export { fileMediaSource, type MediaReader, type MediaSource } from "./media-source.js";
export { TokenBucket } from "./token-bucket.js";
export { DEFAULT_JOB_SCHEDULE, finishBroadcasts, type DeliveryJobs, type JobSchedule } from "./jobs.js";
export { sendPlayNow, DEFAULT_PLAY_NOW_TTL_MS } from "./play-now.js";
export { checkNewBroadcast, BroadcastRuleError, ownerArea } from "./broadcast-rules.js";
export { playsCsv, CSV_HEADERS, csvField, localTime } from "./plays-csv.js";
