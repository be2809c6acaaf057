export { CloudMqttClient, type CloudMqttClientDeps, type CloudMqttStats, type OutboundKind } from "./cloud-mqtt-client.js";
export {
  INBOUND_KINDS,
  InboundRouter,
  type InboundCounters,
  type InboundHandler,
  type InboundKind,
  type InboundMeta,
  type InboundRouterDeps,
  type SeenHandler,
} from "./inbound.js";
