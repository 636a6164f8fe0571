// Prometheus metrics (prom-client). One registry per server process; scrape
// every node (GET /metrics, see README "Observability").
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  /** Commands received, by event. */
  eventsIn: Counter<"event">;
  /** Events emitted to clients, by event (one per emit, not per recipient). */
  eventsOut: Counter<"event">;
  /** Command acks by event and result code ("ok" or the error code, e.g. "rate_limited"). */
  acks: Counter<"event" | "code">;
  /** Time from receiving a command to acking it, by event. For message:send this is the ack latency, commit included. */
  commandDuration: Histogram<"event">;
  /** One group-commit transaction: messages in it and how long it took. */
  dbWriteDuration: Histogram<"result">;
  dbBatchSize: Histogram;
  /** Local sockets a room broadcast reached on this node. */
  broadcastFanout: Histogram<"event">;
  /** Users whose overall status this node announced, by the new status (one node announces each change). */
  presenceChanges: Counter<"status">;
  /** Called at scrape time for gauges whose values live elsewhere. */
  setCollectors(collectors: { sockets: () => number; joinedRooms: () => number; redisUp: () => number; writeQueueDepth: () => number }): void;
}

export function createMetrics(options: { nodeId: string }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: options.nodeId });
  collectDefaultMetrics({ register: registry, prefix: "parley_" });
  // These cost O(open connections) at every scrape, on the event loop: they
  // list every open fd (a directory read) or every libuv handle, four lists in
  // all. Measured with 10,000 sockets: a scrape blocked the node ~25 ms, so a
  // 15 s scrape interval put a 25 ms stall into every message's latency path.
  // parley_sockets_connected counts what matters here; fd exhaustion shows in
  // parley_process_max_fds against the host's own fd metrics.
  for (const costly of ["process_open_fds", "nodejs_active_handles", "nodejs_active_handles_total", "nodejs_active_resources", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(`parley_${costly}`);
  }

  let collectors = { sockets: () => 0, joinedRooms: () => 0, redisUp: () => -1, writeQueueDepth: () => 0 };
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("parley_sockets_connected", "Socket.IO connections open on this node", () => collectors.sockets());
  gauge("parley_socket_rooms_joined", "Room subscriptions held by this node's sockets", () => collectors.joinedRooms());
  gauge("parley_redis_up", "1 when the Redis adapter is connected, 0 when down, -1 when Redis is not used", () => collectors.redisUp());
  gauge("parley_write_queue_depth", "Messages waiting for their group-commit transaction", () => collectors.writeQueueDepth());

  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    eventsIn: new Counter({ name: "parley_events_in_total", help: "Commands received", labelNames: ["event"], registers: [registry] }),
    eventsOut: new Counter({ name: "parley_events_out_total", help: "Events emitted", labelNames: ["event"], registers: [registry] }),
    acks: new Counter({ name: "parley_acks_total", help: "Command acks by result code", labelNames: ["event", "code"], registers: [registry] }),
    commandDuration: new Histogram({
      name: "parley_command_duration_seconds",
      help: "Command receive-to-ack time",
      labelNames: ["event"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    dbWriteDuration: new Histogram({
      name: "parley_db_write_duration_seconds",
      help: "Group-commit transaction time",
      labelNames: ["result"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    dbBatchSize: new Histogram({
      name: "parley_db_batch_size",
      help: "Messages per group-commit transaction",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    broadcastFanout: new Histogram({
      name: "parley_broadcast_fanout",
      help: "Local sockets reached by one room broadcast",
      labelNames: ["event"],
      buckets: [0, 1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000],
      registers: [registry],
    }),
    presenceChanges: new Counter({
      name: "parley_presence_changes_total",
      help: "Presence changes this node announced (a user's overall status changed), by new status",
      labelNames: ["status"],
      registers: [registry],
    }),
    setCollectors(next) {
      collectors = next;
    },
  };
}
