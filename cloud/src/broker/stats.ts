/** Broker counters for /metrics (ARCHITECTURE §7): plain numbers, read with `snapshot()`. */
export interface BrokerCounters {
  /** Clients connected right now. */
  connected: number;
  /** Successful connections since start. */
  connections: number;
  /** PUBLISH packets accepted from clients (wills included). */
  messagesIn: number;
  /** Messages handed to subscribers (one per receiving client, retained replays included). */
  messagesOut: number;
  /** CONNECTs refused: unknown user, wrong token or password, foreign client id. */
  authFailures: number;
  /** Publishes refused by the access rule (the client is disconnected, MQTT 3.1.1 §3.3.5). */
  deniedPublishes: number;
  /** Subscriptions refused (SUBACK 128). */
  deniedSubscribes: number;
  /** Deliveries withheld by the per-delivery check. */
  deniedDeliveries: number;
  /** Protocol or socket errors of single clients. */
  clientErrors: number;
}

export class BrokerStats {
  private readonly c: BrokerCounters = {
    connected: 0,
    connections: 0,
    messagesIn: 0,
    messagesOut: 0,
    authFailures: 0,
    deniedPublishes: 0,
    deniedSubscribes: 0,
    deniedDeliveries: 0,
    clientErrors: 0,
  };

  inc(name: keyof BrokerCounters, by = 1): void {
    this.c[name] += by;
  }

  snapshot(): Readonly<BrokerCounters> {
    return { ...this.c };
  }
}
