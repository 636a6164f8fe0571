// Preloaded (`node --expose-gc --import probe.mjs server.mjs`) into every server
// process the bench starts, Parley or baseline alike, so their memory is read
// the same way without touching server code: on {type: "bench:memory"} over the
// IPC channel it runs a full GC (when --expose-gc is on) and answers
// process.memoryUsage(). Does nothing when there is no IPC channel.
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";

const gc = (globalThis as { gc?: () => void }).gc;

// Event-loop delay, so a latency tail can be told apart from a blocked loop.
// Sampled every 5 ms; each reading reports and restarts the histogram.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

// Garbage collection between two readings: how many full (mark-compact)
// collections, and the main thread's time in all of them, scavenges included.
// A node with a big heap (10,000 sockets) pays a full collection in one lump,
// and the readings show which measured window had one.
const gcSince = { full: 0, ms: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    gcSince.ms += entry.duration;
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcSince.full += 1;
  }
});

if (process.send) {
  loopDelay.enable();
  gcObserver.observe({ entryTypes: ["gc"] });
  process.on("message", (message: unknown) => {
    const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined;
    if (type === "bench:loop") {
      process.send?.({ type: "bench:loop", p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6, fullGcs: gcSince.full, gcMs: gcSince.ms });
      loopDelay.reset();
      gcSince.full = 0;
      gcSince.ms = 0;
      return;
    }
    if (type === "bench:heap-snapshot") {
      // For looking into memory per connection: `npm run bench -- --heap-snapshot` (bench/results/raw/heap/).
      gc?.();
      const file = writeHeapSnapshot((message as { dir?: string }).dir ? `${(message as { dir: string }).dir}/${process.pid}-${Date.now()}.heapsnapshot` : undefined);
      process.send?.({ type: "bench:heap-snapshot", file });
      return;
    }
    if (type !== "bench:memory") return;
    // Two passes: the first may only queue finalizers (weak refs, sockets just closed).
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    process.send?.({
      type: "bench:memory",
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
    });
  });
  // The channel must not keep a server alive that wants to exit by itself.
  process.channel?.unref();
}
