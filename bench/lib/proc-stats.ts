import { readFileSync } from "node:fs";

/** Peak resident set size since the process started (VmHWM), in MB; NaN once it is gone. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, "VmHWM");
}

/** Resident set size now (VmRSS), in MB; NaN once the process is gone. */
export function rssMb(pid: number): number {
  return statusMb(pid, "VmRSS");
}

function statusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system) one thread of a process has used so far, in milliseconds. */
export function taskCpuMs(pid: number, tid: number): number {
  return statCpuMs(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuMs(file: string): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    const stat = readFileSync(file, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
