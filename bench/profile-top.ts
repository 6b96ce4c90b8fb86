/**
 * Prints the top entries of a V8 `.cpuprofile` (from `node --cpu-prof`) by self time, or of a
 * `.heapprofile` (from the bench's `--heap-sample`) by bytes allocated.
 *
 *   node dist/bench/profile-top.js <file.cpuprofile|file.heapprofile> [--top 25]
 *        [--by function|package] [--after S] [--until S] [--callers TEXT [--depth 6]]
 *        [--requests N]
 *
 * `function` groups by function name and source location; `package` groups by npm package (or
 * `node:` internals, the project's own code, and V8's pseudo-entries like "(garbage collector)").
 * `--after`/`--until` keep only the samples in that window (seconds from the profile's start;
 * the bench logs each row's measured window), so start-up and idle time stay out; a heap profile
 * covers one measured window already and has no times. `--callers TEXT` prints instead the call
 * stacks leading to the entries whose name contains TEXT. `--requests N` (the row's requests in
 * that window, as the bench logs them) adds each entry's share of one request: µs, or bytes.
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

/** V8's sampling heap profile: a tree of call frames, each with the bytes allocated in it. */
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
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
    requests: { type: "string" },
  },
});
const file = positionals[0];
const requests = values.requests === undefined ? undefined : Number(values.requests);
if (
  !file ||
  (values.by !== "function" && values.by !== "package") ||
  (requests !== undefined && !(requests > 0))
) {
  process.stderr.write(
    "usage: profile-top <file.cpuprofile|file.heapprofile> [--top N] [--by function|package] " +
      "[--after S] [--until S] [--callers TEXT [--depth N]] [--requests N]\n",
  );
  process.exit(2);
}

const parsed = JSON.parse(readFileSync(file, "utf8")) as CpuProfile | { head: HeapNode };
const heap = "head" in parsed;
const heapNodes = heap ? flatten(parsed.head) : [];
const nodes = heap ? heapNodes : parsed.nodes;
const frames = new Map(nodes.map((node) => [node.id, node.callFrame]));
const parents = new Map<number, number>();
for (const node of nodes) {
  for (const child of node.children ?? []) parents.set(child, node.id);
}
const keyOf = (id: number): string => {
  const frame = frames.get(id);
  if (!frame) return "(unknown)";
  if (values.callers === undefined)
    return (values.by === "package" ? packageKey : functionKey)(frame);
  return functionKey(frame).includes(values.callers) ? stackOf(id) : "(other)";
};

// Microseconds of self time, or bytes allocated.
const selfAmounts = heap ? allocated(heapNodes) : tally(parsed);
const total = sum(selfAmounts.values());
const busy = total - (selfAmounts.get("(idle)") ?? 0);
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
const perRequest = (amount: number) =>
  requests === undefined ? "" : `${(amount / requests).toFixed(heap ? 0 : 1).padStart(9)}`;
process.stdout.write(
  heap
    ? `${file}: ${(total / 2 ** 20).toFixed(1)} MiB allocated (sampled)\n` +
        `  self KiB  % total${requests === undefined ? "" : "    B/req"}  entry\n`
    : `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle\n` +
        `  self ms  % total  % busy${requests === undefined ? "" : "   µs/req"}  entry\n`,
);
const rows = [...selfAmounts].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
for (const [key, amount] of rows) {
  const share = percent(amount, total).padStart(7);
  if (heap) {
    const kib = (amount / 1024).toFixed(0).padStart(8);
    process.stdout.write(`${kib}  ${share}${perRequest(amount)}  ${key}\n`);
    continue;
  }
  const ms = (amount / 1000).toFixed(0).padStart(7);
  const ofBusy = key === "(idle)" ? "" : percent(amount, busy);
  process.stdout.write(`${ms}  ${share}  ${ofBusy.padStart(6)}${perRequest(amount)}  ${key}\n`);
}

type FlatHeapNode = CpuProfile["nodes"][number] & { selfSize: number };

/** A heap profile's tree as a cpuprofile's list of nodes, each with its bytes. */
function flatten(head: HeapNode): FlatHeapNode[] {
  const list: FlatHeapNode[] = [];
  const visit = (node: HeapNode) => {
    list.push({ ...node, children: node.children.map((child) => child.id) });
    for (const child of node.children) visit(child);
  };
  visit(head);
  return list;
}

/** Bytes allocated by key, over every node of a heap profile. */
function allocated(list: readonly FlatHeapNode[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const { id, selfSize } of list) {
    if (selfSize === 0) continue;
    const key = keyOf(id);
    result.set(key, (result.get(key) ?? 0) + selfSize);
  }
  return result;
}

/** Self time by key over the samples inside the window. A sample lasts until the next one. */
function tally(profile: CpuProfile): Map<string, number> {
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
