export { EmbeddedBroker, MqttPublishDeniedError, type EmbeddedBrokerDeps, type ListenAddress } from "./embedded-broker.js";
export { BrokerAccess, CONNACK, EDGE_CLIENT_PREFIX, isOwnClientId, type AuthResult, type BrokerAccessDeps, type Role } from "./access.js";
export { BrokerStats, type BrokerCounters } from "./stats.js";
export {
  MOSQUITTO_PBKDF2_ITERATIONS,
  isMosquittoHash,
  mosquittoPasswdLine,
  mosquittoPasswordHash,
  verifyMosquittoHash,
  type MosquittoHashOptions,
} from "./mosquitto-passwd.js";
