/**
 * Prints the top entries of a V8 `.cpuprofile` (from `node --cpu-prof`) by self time.
 *
 *   node dist/bench/profile-top.js <file.cpuprofile> [--top 25] [--by function|package]
 *        [--after S] [--until S] [--callers TEXT [--depth 6]]
 *
 * `function` groups by function name and source location; `package` groups by npm package (or
 * `node:` internals, the project's own code, and V8's pseudo-entries like "(garbage collector)").
 * `--after`/`--until` keep only the samples in that window (seconds from the profile's start;
 * the bench logs each row's measured window), so start-up and idle time stay out.
 * `--callers TEXT` prints instead the call stacks leading to the entries whose name contains TEXT.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    by: { type: "string", default: "function" },
    after: { type: "string", default: "0" },
    until: { type: "string", default: "Infinity" },
    callers: { type: "string" },
    depth: { type: "string", default: "6" },
  },
});
const file = positionals[0];
if (!file || (values.by !== "function" && values.by !== "package")) {
  process.stderr.write("usage: profile-top <file.cpuprofile> [--top N] [--by function|package]\n");
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
const parents = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parents.set(child, node.id);
}
const keyOf = (id: number): string => {
  const frame = frames.get(id);
  if (!frame) return "(unknown)";
  if (values.callers === undefined)
    return (values.by === "package" ? packageKey : functionKey)(frame);
  return functionKey(frame).includes(values.callers) ? stackOf(id) : "(other)";
};

const selfUs = tally();
const total = sum(selfUs.values());
const busy = total - (selfUs.get("(idle)") ?? 0);
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle\n` +
    "  self ms  % total  % busy  entry\n",
);
const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
for (const [key, us] of rows) {
  const ms = (us / 1000).toFixed(0).padStart(7);
  const ofBusy = key === "(idle)" ? "" : percent(us, busy);
  process.stdout.write(`${ms}  ${percent(us, total).padStart(7)}  ${ofBusy.padStart(6)}  ${key}\n`);
}

/** Self time by key over the samples inside the window. A sample lasts until the next one. */
function tally(): Map<string, number> {
  const from = Number(values.after) * 1e6;
  const to = Number(values.until) * 1e6;
  const keys = new Map<number, string>();
  const result = new Map<string, number>();
  let at = 0;
  for (const [i, nodeId] of profile.samples.entries()) {
    at += profile.timeDeltas[i] ?? 0;
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (at < from || at > to) continue;
    const key = keys.get(nodeId) ?? keyOf(nodeId);
    keys.set(nodeId, key);
    result.set(key, (result.get(key) ?? 0) + us);
  }
  return result;
}

function sum(numbers: Iterable<number>): number {
  let total = 0;
  for (const n of numbers) total += n;
  return total;
}

function stackOf(id: number): string {
  const stack: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
    const frame = frames.get(at);
    if (frame) stack.push(functionKey(frame));
    if (stack.length === Number(values.depth)) break;
  }
  return `\n      ${stack.join("\n      <- ")}`;
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  return frame.url ? `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

function packageKey(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1] as string;
  return shortUrl(url).split("/").slice(0, -1).join("/") || url;
}

/** A file URL shortened to the part after node_modules/ or dist/. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const modules = path.lastIndexOf("node_modules/");
  if (modules >= 0) return path.slice(modules + "node_modules/".length);
  const dist = path.lastIndexOf("/dist/");
  return dist >= 0 ? path.slice(dist + "/dist/".length) : path;
}
