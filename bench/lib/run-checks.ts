// What a bench run must get right, whatever the machine: every client
// connected, every message delivered to every member and acked without error,
// every write answered, every replay complete. Timings are reported, never
// checked (a slow machine makes a slow run, not a failed one); these are the
// promises, and a run that broke one exits non-zero (the quick run in `npm
// test` relies on that).
import type { ConnectResult, FanoutResult, ReplayResult, ThroughputResult } from "./protocol";

/** What the checks read of a run (a RunResult is one). */
type Deliveries = Pick<FanoutResult, "received" | "expected" | "ackErrors">;
interface Writes {
  throughput: Pick<ThroughputResult, "ackErrors" | "unanswered" | "sent">[];
  replay?: Pick<ReplayResult, "complete">;
}
export interface CheckedRun {
  series: {
    label: string;
    steps: { clients: number; connect: Pick<ConnectResult, "failed" | "errors">; fanout: Deliveries; bigRoom?: Deliveries }[];
  }[];
  writePath?: Writes;
  writePathAlone?: Writes;
  baselineWritePath?: Writes;
}

const errorCount = (errors: Record<string, number>) => Object.values(errors).reduce((a, b) => a + b, 0);
const describeErrors = (errors: Record<string, number>) =>
  Object.entries(errors)
    .map(([code, n]) => `${n} ${code}`)
    .join(", ");

function fanoutProblems(where: string, fanout: Deliveries): string[] {
  const problems: string[] = [];
  if (fanout.received !== fanout.expected) problems.push(`${where}: ${fanout.received} of ${fanout.expected} deliveries arrived`);
  if (errorCount(fanout.ackErrors) > 0) problems.push(`${where}: sends answered with errors (${describeErrors(fanout.ackErrors)})`);
  return problems;
}

function writePathProblems(where: string, writePath: Writes | undefined): string[] {
  if (!writePath) return [];
  const problems = writePath.throughput.flatMap((tp) => [
    ...(errorCount(tp.ackErrors) > 0 ? [`${where}: sends answered with errors (${describeErrors(tp.ackErrors)})`] : []),
    ...(tp.unanswered > 0 ? [`${where}: ${tp.unanswered} of ${tp.sent} sends never answered`] : []),
  ]);
  if (writePath.replay && !writePath.replay.complete) problems.push(`${where}: a replay did not return every missed message in order`);
  return problems;
}

/** The promises a run broke, one line each; empty when it kept them all. */
export function runProblems(result: CheckedRun): string[] {
  const problems: string[] = [];
  for (const series of result.series) {
    for (const step of series.steps) {
      const where = `${series.label} @${step.clients}`;
      if (step.connect.failed > 0) {
        problems.push(`${where}: ${step.connect.failed} clients could not connect (${step.connect.errors.slice(0, 3).join("; ")})`);
      }
      problems.push(...fanoutProblems(`${where}, fan-out`, step.fanout));
      if (step.bigRoom) problems.push(...fanoutProblems(`${where}, 1,000-member room`, step.bigRoom));
    }
  }
  problems.push(...writePathProblems("Parley write path", result.writePath));
  problems.push(...writePathProblems("Parley write path, fresh node", result.writePathAlone));
  problems.push(...writePathProblems("relay write path", result.baselineWritePath));
  return problems;
}
