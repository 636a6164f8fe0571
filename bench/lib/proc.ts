// CPU and memory of other processes, read from /proc (Linux). The orchestrator
// samples the server(s) and the load generator around each phase, so every row
// can say whether the machine or the server was the bottleneck.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; NaN if it is gone or /proc is missing. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes (VmRSS), NaN if unavailable. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineTimes(): { busy: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: (total - idle) / TICKS_PER_SECOND };
  } catch {
    return { busy: Number.NaN };
  }
}

/** CPU use over a window, in % of one core (200% = both cores of a 2-core machine). */
export interface CpuWindow {
  /** Per watched pid. */
  byPid: Map<number, number>;
  /** The whole machine (every process, ours or not), % of one core. */
  machine: number;
  seconds: number;
}

/** Starts measuring; call the returned function at the end of the window. */
export function cpuWindow(pids: number[]): () => CpuWindow {
  const started = process.hrtime.bigint();
  const before = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  const machineBefore = machineTimes();
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const byPid = new Map<number, number>();
    for (const pid of pids) byPid.set(pid, ((cpuSeconds(pid) - (before.get(pid) ?? Number.NaN)) / seconds) * 100);
    const machine = ((machineTimes().busy - machineBefore.busy) / seconds) * 100;
    return { byPid, machine, seconds };
  };
}
