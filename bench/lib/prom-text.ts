// Reading a node's Prometheus text (/metrics) in the benches: histogram buckets,
// and quantiles over the difference of two scrapes, as Prometheus computes them.

/** The sum of every series of `name` (all label sets) in a /metrics text; 0 when absent. */
export function seriesSum(text: string, name: string, label = ""): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(label)) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Cumulative bucket counts of one Prometheus histogram series (`le` → count), from a /metrics text. */
export function histogramBuckets(text: string, name: string, label: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le) buckets.set(le === "+Inf" ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return buckets;
}

/**
 * Prometheus' histogram_quantile over the difference of two scrapes: the
 * q-quantile of what was observed between them, interpolated inside its bucket
 * (so as coarse as the buckets). NaN when nothing was observed.
 */
export function windowQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (bounds[i] === Infinity) return lower;
    const below = i === 0 ? 0 : counts[i - 1]!;
    return lower + ((bounds[i]! - lower) * (rank - below)) / Math.max(1, counts[i]! - below);
  }
  return NaN;
}
