// Small numeric helpers shared by the load generator and the orchestrator.

/** A growable list of samples (milliseconds), kept in typed-array chunks so millions of them stay cheap. */
export class Samples {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(65_536);
  private used = 0;
  count = 0;

  constructor(private readonly cap = 8_000_000) {}

  add(value: number): void {
    if (this.count >= this.cap) return;
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Float64Array(65_536);
      this.used = 0;
    }
    this.current[this.used++] = value;
    this.count += 1;
  }

  /** Every sample, in one array (what a load-generator process sends back: percentiles are taken over all processes). */
  values(): Float64Array {
    const all = new Float64Array(this.count);
    let offset = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    all.set(this.current.subarray(0, this.used), offset);
    return all;
  }
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export const emptySummary: Summary = { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };

export function summarize(values: Float64Array | number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { ...emptySummary };
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, min: sorted[0] ?? 0, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1] ?? 0, mean: sum / n };
}

/** "1,234" */
export const int = (n: number) => Math.round(n).toLocaleString("en-US");
/** Milliseconds with sensible precision. */
export const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const kb = (bytes: number) => (bytes / 1024).toFixed(1);
export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
/** What V8 accounts for: its heap plus the memory outside it that it knows of (Buffers). */
export const heapAndExternal = (m: { heapUsed: number; external: number }) => m.heapUsed + m.external;
export const pct = (n: number) => `${n.toFixed(0)}%`;
export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? a / b : Number.NaN);
export const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : "n/a");
