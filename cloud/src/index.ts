/**
 * @loa/cloud's public surface: start a whole cloud in-process (the demo, the fleet and cross-part tests do)
 * and the settings it takes. The `loa-cloud` binary is main.ts.
 */
export { startCloud, type RunningCloud, type StartCloudOptions } from "./server/start-cloud.js";
export type { DeliveryChange, DeliveryDeps, DeliveryFactory, DeliveryPart } from "./server/delivery-hook.js";
export { CloudConfigError, SETTINGS, loadCloudConfig, publicMqttUrlOf, type CloudConfig, type ConfigIssue, type ConfigSources, type LogLevel, type SettingSpec } from "./config.js";
export { CommandCenter, type CommandCenterDeps, type CommandListener } from "./core/commands.js";
export { LiveFeed, type LiveEvent, type LiveEventType } from "./core/live-feed.js";
export { CloudMetrics, type MetricsSources } from "./http/metrics.js";
export { exportMosquitto, type ExportMosquittoOptions, type ExportMosquittoResult } from "./cli/export-mosquitto.js";
