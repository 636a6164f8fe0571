import { describe, expect, it } from "vitest";
import { histogramBuckets, seriesSum, windowQuantile } from "./prom-text";

// A /metrics text as prom-client writes it: two label sets of one histogram, and a counter.
const scrape = (sendCounts: [number, number, number], otherCounts: [number, number, number], acks: number) => `
# HELP parley_command_duration_seconds receive-to-ack time
# TYPE parley_command_duration_seconds histogram
parley_command_duration_seconds_bucket{le="0.005",node="n1",event="message:send"} ${sendCounts[0]}
parley_command_duration_seconds_bucket{le="0.01",node="n1",event="message:send"} ${sendCounts[1]}
parley_command_duration_seconds_bucket{le="+Inf",node="n1",event="message:send"} ${sendCounts[2]}
parley_command_duration_seconds_sum{node="n1",event="message:send"} 1.5
parley_command_duration_seconds_count{node="n1",event="message:send"} ${sendCounts[2]}
parley_command_duration_seconds_bucket{le="0.005",node="n1",event="room:sync"} ${otherCounts[0]}
parley_command_duration_seconds_bucket{le="0.01",node="n1",event="room:sync"} ${otherCounts[1]}
parley_command_duration_seconds_bucket{le="+Inf",node="n1",event="room:sync"} ${otherCounts[2]}
parley_acks_total{event="message:send",code="ok",node="n1"} ${acks}
parley_acks_total{event="message:send",code="rate_limited",node="n1"} 3
parley_acks_total_created{event="message:send",code="ok",node="n1"} 1700000000
`;

/** message:send's buckets in a scrape whose message:send buckets hold these counts. */
const sendBuckets = (counts: [number, number, number]) =>
  histogramBuckets(scrape(counts, [500, 500, 500], 0), "parley_command_duration_seconds", 'event="message:send"');

describe("reading a node's /metrics text", () => {
  it("sums a series over its label sets, or over those with a label, and not its look-alikes", () => {
    const text = scrape([0, 0, 0], [0, 0, 0], 40);
    expect(seriesSum(text, "parley_acks_total")).toBe(43);
    expect(seriesSum(text, "parley_acks_total", 'code="ok"')).toBe(40);
    expect(seriesSum(text, "parley_missing_total")).toBe(0);
  });

  it("reads one label set's cumulative buckets", () => {
    const buckets = histogramBuckets(scrape([2, 5, 6], [9, 9, 9], 0), "parley_command_duration_seconds", 'event="message:send"');
    expect([...buckets]).toEqual([
      [0.005, 2],
      [0.01, 5],
      [Infinity, 6],
    ]);
  });

  it("takes quantiles of what was observed between two scrapes, interpolated in the bucket, as histogram_quantile does", () => {
    // Before: 10 observations under 5 ms. Between the scrapes: 50 under 5 ms, 50 in (5, 10] ms.
    const before = sendBuckets([10, 10, 10]);
    const after = sendBuckets([60, 110, 110]);
    expect(windowQuantile(before, after, 0.5)).toBeCloseTo(0.005);
    expect(windowQuantile(before, after, 0.75)).toBeCloseTo(0.0075);
    expect(windowQuantile(before, after, 0.25)).toBeCloseTo(0.0025);
    // Nothing observed between two scrapes: no quantile.
    expect(windowQuantile(after, after, 0.5)).toBeNaN();
  });

  it("answers a quantile in the +Inf bucket with its lower bound", () => {
    const before = sendBuckets([0, 0, 0]);
    const after = sendBuckets([0, 0, 4]);
    expect(windowQuantile(before, after, 0.99)).toBe(0.01);
  });
});
