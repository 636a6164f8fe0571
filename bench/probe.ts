// Preloaded (`node --expose-gc --import probe.mjs server.mjs`) into every server
// process the bench starts, Parley or baseline alike, so their memory is read
// the same way without touching server code: on {type: "bench:memory"} over the
// IPC channel it runs a full GC (when --expose-gc is on) and answers
// process.memoryUsage(). Does nothing when there is no IPC channel.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";

const gc = (globalThis as { gc?: () => void }).gc;

// Event-loop delay, so a latency tail can be told apart from a blocked loop.
// Sampled every 5 ms; each reading reports and restarts the histogram.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

if (process.send) {
  loopDelay.enable();
  process.on("message", (message: unknown) => {
    const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined;
    if (type === "bench:loop") {
      process.send?.({ type: "bench:loop", p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 });
      loopDelay.reset();
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
