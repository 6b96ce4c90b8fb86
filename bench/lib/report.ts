import type { Measurement } from "./measure.js";

/**
 * Formats the results as the bench's tables. `peakMb` is each process's VmHWM (its peak since
 * start, start-up included); `loadMb` the largest VmRSS sampled while a row loaded it.
 */
export function formatReport(
  results: readonly Measurement[],
  peakMb: Map<string, number>,
  loadMb: Map<string, number>,
  storeNames: readonly string[] = [],
): string {
  const floor = results.find((result) => result.target.key === "floor");
  const ratio = (value: number, base: number | undefined) =>
    base === undefined ? "–" : fixed(value / base, 2, "×");
  const main = table(
    [
      "target",
      "req/s",
      "p50 ms",
      "p99 ms",
      "req/s ÷ floor",
      "p50 ÷ floor",
      "p99 ÷ floor",
      "req/s ÷ peer",
      "peak RSS MB",
      "RSS under load MB",
    ],
    results.map((result) => {
      const front = result.target.processes[0]?.name ?? "";
      return [
        result.note ? `${result.target.label}: ${result.note}` : result.target.label,
        fixed(result.requestsPerSecond, 0),
        fixed(result.p50Ms, 2),
        fixed(result.p99Ms, 2),
        ratio(result.requestsPerSecond, floor?.requestsPerSecond),
        ratio(result.p50Ms, floor?.p50Ms),
        ratio(result.p99Ms, floor?.p99Ms),
        ratio(result.requestsPerSecond, peerOf(result, results)?.requestsPerSecond),
        `${mb(peakMb.get(front))} (${front})`,
        `${mb(loadMb.get(front))} (${front})`,
      ];
    }),
  );
  const detail = table(
    [
      "target",
      "requests",
      "failed",
      "server CPU µs/req",
      "server alloc KB/req",
      "server GC µs/req",
      "load generator CPU µs/req",
      ...(storeNames.length > 0 ? ["store CPU µs/req", "all CPU µs/req"] : []),
    ],
    results.map((result) => [
      result.target.key,
      String(result.requests),
      String(result.failed),
      perProcess(result, result.cpuUsPerRequest, 0),
      perProcess(result, kbPerRequest(result), 1),
      perProcess(result, gcUsPerRequest(result), 1),
      fixed(result.loadCpuUsPerRequest, 0),
      ...(storeNames.length > 0
        ? [
            storeNames
              .map((name, i) => `${name} ${fixed(result.storeCpuUsPerRequest[i] ?? Number.NaN, 0)}`)
              .join(" + "),
            fixed(
              total(result.cpuUsPerRequest) +
                result.loadCpuUsPerRequest +
                total(result.storeCpuUsPerRequest),
              0,
            ),
          ]
        : []),
    ]),
  );
  const rss = [...peakMb]
    .map(([name, peak]) => `${name} ${mb(peak)} / ${mb(loadMb.get(name))}`)
    .join(", ");
  return `${main}\n\n${edgeCost(results)}${peerLines(results)}${detail}\n\nRSS MB per process, peak since start (VmHWM) / largest under load (VmRSS): ${rss}\n`;
}

/** The edge row against the same request with the edge duties off, as a line of its own. */
function edgeCost(results: readonly Measurement[]): string {
  const off = results.find((result) => result.target.key === "rest-get");
  const on = results.find((result) => result.target.key === "rest-get-edge");
  if (!off || !on) return "";
  return (
    `Edge cost (rest-get-edge ÷ rest-get): req/s ${fixed(on.requestsPerSecond / off.requestsPerSecond, 2, "×")}, ` +
    `p50 ${fixed(on.p50Ms / off.p50Ms, 2, "×")}, p99 ${fixed(on.p99Ms / off.p99Ms, 2, "×")}, ` +
    `gateway CPU µs/req ${fixed(cpu(on) / cpu(off), 2, "×")}, ` +
    `gateway alloc KB/req ${fixed(kb(on), 1)} ÷ ${fixed(kb(off), 1)} = ${fixed(kb(on) / kb(off), 2, "×")}\n\n`
  );
}

/** The row `result` is held against besides the floor (`Target.peer`), if it ran. */
function peerOf(result: Measurement, results: readonly Measurement[]): Measurement | undefined {
  const key = result.target.peer;
  return key === undefined ? undefined : results.find((other) => other.target.key === key);
}

type PerProcess = (result: Measurement) => readonly number[];
const cpuPerProcess: PerProcess = (result) => result.cpuUsPerRequest;
const kbPerRequest: PerProcess = (result) => result.gcPerRequest.map((gc) => gc.allocatedKb);
const gcUsPerRequest: PerProcess = (result) => result.gcPerRequest.map((gc) => gc.pauseUs);
const promotedPerRequest: PerProcess = (result) => result.gcPerRequest.map((gc) => gc.promotedKb);
const total = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0);

// The row's front process (the gateway): what the edge-cost ratios compare.
const cpu = (result: Measurement) => result.cpuUsPerRequest[0] ?? Number.NaN;
const kb = (result: Measurement) => kbPerRequest(result)[0] ?? Number.NaN;

/** One value per serving process of the row: "product 180 + gateway 95". */
function perProcess(result: Measurement, values: readonly number[], digits: number): string {
  return result.target.processes
    .map((child, i) => `${child.name} ${fixed(values[i] ?? Number.NaN, digits)}`)
    .join(" + ");
}

/**
 * Each row beside its peer: req/s, p99 and the serving processes' CPU µs per request (the figure
 * that a shared machine disturbs least), their heap allocation, GC time and promotion to the old
 * generation per request, as ratios "row ÷ peer". Rows of several processes (REST ÷ the bare
 * chain) compare the sums, then each process with the peer's process in the same place (front
 * with front).
 */
function peerLines(results: readonly Measurement[]): string {
  const pair = (
    name: string,
    [row, peer]: readonly [Measurement, Measurement],
    values: PerProcess,
    digits: number,
  ) => {
    const [mine, theirs] = [values(row), values(peer)];
    const ratio = (a: number, b: number) =>
      `${fixed(a, digits)} ÷ ${fixed(b, digits)} = ${fixed(a / b, 2, "×")}`;
    if (mine.length < 2) return `${name} ${ratio(mine[0] ?? Number.NaN, theirs[0] ?? Number.NaN)}`;
    const each = row.target.processes.map(
      (child, i) =>
        `${child.name} ${fixed(mine[i] ?? Number.NaN, digits)} ÷ ` +
        `${peer.target.processes[i]?.name ?? "–"} ${fixed(theirs[i] ?? Number.NaN, digits)}`,
    );
    return `${name} ${ratio(total(mine), total(theirs))} (${each.join(", ")})`;
  };
  const lines = results.flatMap((result) => {
    const peer = peerOf(result, results);
    if (!peer) return [];
    const figures = [
      `req/s ${fixed(result.requestsPerSecond / peer.requestsPerSecond, 2, "×")}`,
      `p99 ${fixed(result.p99Ms / peer.p99Ms, 2, "×")}`,
      pair("server CPU µs/req", [result, peer], cpuPerProcess, 0),
      pair("alloc KB/req", [result, peer], kbPerRequest, 1),
      pair("GC µs/req", [result, peer], gcUsPerRequest, 1),
      pair("promoted KB/req", [result, peer], promotedPerRequest, 2),
    ];
    return [`${result.target.key} ÷ ${peer.target.key}: ${figures.join(", ")}\n`];
  });
  return lines.length > 0 ? `${lines.join("")}\n` : "";
}

/** Megabytes, or "n/a" for a process no measured row loaded. */
const mb = (value: number | undefined) => fixed(value ?? Number.NaN, 0);

/** `value` with `digits` decimals, or "n/a" for a row that has no such number. */
const fixed = (value: number, digits: number, unit = "") =>
  Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : "n/a";

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((width, i) => (i === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
