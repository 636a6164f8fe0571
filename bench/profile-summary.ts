// Summarises a V8 CPU profile (from `npm run bench -- --cpu-prof`, or any
// `node --cpu-prof`): the functions with the most self time, and self time by
// npm package, so "where does the server spend its CPU" is one command.
//   npx tsx bench/profile-summary.ts <file>.cpuprofile [--top 40]
//   ... --timeline               busy share and top packages for every second of the run
//   ... --from 33 --to 46        only that window (seconds since the profile started):
//                                one bench phase, found with --timeline
// The last table charges every sample to the nearest of the app's own functions
// on its stack, library code and system calls below it included: what each piece
// of Parley costs, where self time scatters it over Node and npm internals.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "40" },
    from: { type: "string" },
    to: { type: "string" },
    timeline: { type: "boolean", default: false },
  },
});
const file = positionals[0];
if (!file) {
  console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top 40] [--timeline] [--from s --to s]");
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const fromMicros = Number(values.from ?? 0) * 1e6;
const toMicros = values.to === undefined ? Number.POSITIVE_INFINITY : Number(values.to) * 1e6;

const packageOf = (frame: ProfileNode["callFrame"]) => {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
  if (pkg) return pkg;
  if (frame.url.startsWith("node:")) return "node (internal)";
  // WebAssembly frames carry no module name: embedded PGlite (PostgreSQL in the
  // server's process) in embedded mode, and in either mode the migration engine
  // (schema-engine-wasm) at boot and Prisma's query compiler for Prisma calls.
  if (frame.url.startsWith("/wasm/") || frame.url.startsWith("wasm://")) return "(wasm: PGlite or Prisma)";
  return frame.url ? "app" : `(${frame.functionName || "native"})`;
};

// Self time per sampled node, inside the window; per second for the timeline.
const timeById = new Map<number, number>();
const seconds = new Map<number, Map<string, number>>();
let elapsed = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  elapsed += delta;
  if (elapsed < fromMicros || elapsed >= toMicros) return;
  timeById.set(id, (timeById.get(id) ?? 0) + delta);
  const frame = byId.get(id)?.callFrame;
  if (!values.timeline || !frame) return;
  const second = Math.floor(elapsed / 1e6);
  const groups = seconds.get(second) ?? new Map<string, number>();
  const group = packageOf(frame);
  groups.set(group, (groups.get(group) ?? 0) + delta);
  seconds.set(second, groups);
});
const total = [...timeById.values()].reduce((a, b) => a + b, 0);

if (values.timeline) {
  console.log(`${file}: per second, the share not idle and the packages with the most self time`);
  for (const [second, groups] of seconds) {
    const all = [...groups.values()].reduce((a, b) => a + b, 0);
    const busy = all - (groups.get("((idle))") ?? 0);
    const top = [...groups]
      .filter(([name]) => name !== "((idle))")
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, micros]) => `${name} ${(micros / 1000).toFixed(0)}`)
      .join(", ");
    console.log(`${String(second).padStart(5)} s  busy ${((busy / Math.max(1, all)) * 100).toFixed(0).padStart(3)}%  ${top}`);
  }
  process.exit(0);
}

const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nameOf = (frame: ProfileNode["callFrame"]) => {
  const where = frame.url.split("/").slice(-3).join("/");
  return `${frame.functionName || "(anonymous)"} ${where}${where ? `:${frame.lineNumber + 1}` : ""}`;
};
/** The nearest app function at or above a sampled node, or why there is none. */
const appCallerOf = (id: number) => {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (frame && packageOf(frame) === "app") return nameOf(frame);
  }
  return "(no app function on the stack: library callbacks, I/O, GC)";
};

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
const byAppCaller = new Map<string, number>();
for (const [id, micros] of timeById) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  byFunction.set(nameOf(frame), (byFunction.get(nameOf(frame)) ?? 0) + micros);
  const group = packageOf(frame);
  byPackage.set(group, (byPackage.get(group) ?? 0) + micros);
  if (group === "((idle))") continue;
  const caller = appCallerOf(id);
  byAppCaller.set(caller, (byAppCaller.get(caller) ?? 0) + micros);
}

const line = (name: string, micros: number) =>
  `${(micros / 1000).toFixed(0).padStart(8)} ms ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`;
const window = values.from !== undefined || values.to !== undefined ? ` between ${values.from ?? 0} s and ${values.to ?? "the end"}` : "";
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled${window}\n\nself time by function:`);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(line(name, micros));
console.log("\nself time by package:");
for (const [name, micros] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(line(name, micros));
console.log("\ntime under the nearest app function (library code and system calls below it included; idle left out):");
for (const [name, micros] of [...byAppCaller].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(line(name, micros));
