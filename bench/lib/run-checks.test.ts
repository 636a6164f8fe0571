import { describe, expect, it } from "vitest";
import { runProblems, type CheckedRun } from "./run-checks";

const delivered = (expected: number) => ({ received: expected, expected, ackErrors: {} });
const step = (clients: number) => ({ clients, connect: { failed: 0, errors: [] }, fanout: delivered(clients * 10), bigRoom: delivered(5_000) });
const writes = () => ({ throughput: [{ ackErrors: {}, unanswered: 0, sent: 3_000 }], replay: { complete: true } });
const goodRun = (): CheckedRun => ({
  series: [
    { label: "bare Socket.IO", steps: [step(200), step(500)] },
    { label: "Parley", steps: [step(200), step(500)] },
  ],
  writePath: writes(),
  writePathAlone: writes(),
  baselineWritePath: { throughput: [{ ackErrors: {}, unanswered: 0, sent: 3_000 }] },
});

describe("a bench run's promises", () => {
  it("finds nothing wrong with a run that kept them", () => {
    expect(runProblems(goodRun())).toEqual([]);
  });

  it("names each broken one: a refused client, a lost delivery, an error ack, an unanswered send, an incomplete replay", () => {
    const run = goodRun();
    const parley = run.series[1]!;
    parley.steps[0]!.connect = { failed: 2, errors: ["unauthorized"] };
    parley.steps[1]!.fanout = { received: 4_999, expected: 5_000, ackErrors: {} };
    parley.steps[1]!.bigRoom = { received: 5_000, expected: 5_000, ackErrors: { rate_limited: 3 } };
    run.writePathAlone = { throughput: [{ ackErrors: {}, unanswered: 7, sent: 3_000 }], replay: { complete: false } };
    expect(runProblems(run)).toEqual([
      "Parley @200: 2 clients could not connect (unauthorized)",
      "Parley @500, fan-out: 4999 of 5000 deliveries arrived",
      "Parley @500, 1,000-member room: sends answered with errors (3 rate_limited)",
      "Parley write path, fresh node: 7 of 3000 sends never answered",
      "Parley write path, fresh node: a replay did not return every missed message in order",
    ]);
  });
});
