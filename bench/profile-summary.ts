// Summarises a V8 CPU profile (from `npm run bench -- --cpu-prof`, or any
// `node --cpu-prof`): the functions with the most self time, and self time by
// npm package, so "where does the server spend its CPU" is one command.
//   npx tsx bench/profile-summary.ts bench/results/raw/profiles/<file>.cpuprofile [--top 40]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "40" } } });
const file = positionals[0];
if (!file) {
  console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top 40]");
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const timeById = new Map<number, number>();
profile.samples.forEach((id, i) => timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...timeById.values()].reduce((a, b) => a + b, 0);

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, micros] of timeById) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const where = frame.url.split("/").slice(-3).join("/");
  const fn = `${frame.functionName || "(anonymous)"} ${where}${where ? `:${frame.lineNumber + 1}` : ""}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
  const group = pkg ?? (frame.url.startsWith("node:") ? "node (internal)" : frame.url ? "app" : `(${frame.functionName || "native"})`);
  byPackage.set(group, (byPackage.get(group) ?? 0) + micros);
}

const line = (name: string, micros: number) =>
  `${(micros / 1000).toFixed(0).padStart(8)} ms ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by function:`);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(line(name, micros));
console.log("\nself time by package:");
for (const [name, micros] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(line(name, micros));
