import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { Child } from "../../scripts/process-group.js";

/**
 * Allocation and GC per request from V8's own trace: every server runs with `--trace-gc-nvp`
 * (no code of the bench inside the servers), which prints one `name=value` line per collection
 * to the process's stdout as the collection ends, unbuffered. The bench notes where each
 * stdout file ends as a measured window starts and as it ends; the lines between are the
 * collections of that window.
 */
export const GC_TRACE_FLAGS: readonly string[] = ["--trace-gc-nvp"];

/** What the collections of one stretch of a trace add up to. */
export interface GcTotals {
  /**
   * Bytes the V8 heap allocated: each collection's `allocated=` is the object size it started
   * with minus what the previous one left, so the sum is what the program allocated between
   * the collection before the stretch and its last one.
   */
  readonly allocatedBytes: number;
  /**
   * Main-thread GC milliseconds: each collection's `pause=`, plus a full collection's
   * incremental marking steps (`incremental=`), which also stop the program, in slices.
   */
  readonly pauseMs: number;
  /**
   * Bytes moved from the young generation to the old one (`promoted=`): what lived through two
   * scavenges, or was held there by old objects. Per-request objects that get here cost a full
   * collection later; a server that promotes much more per request than its peer keeps its
   * calls' objects too long (issue 11: literal getters, see lazy-fields.ts).
   */
  readonly promotedBytes: number;
  readonly collections: number;
}

const FIELD = /(?:^| )(gc|pause|allocated|promoted|incremental)=([^ ]+)/g;

/**
 * Sums the `--trace-gc-nvp` lines in `text`. Anything else (the process's own log lines, a
 * line cut at either end of the stretch) is ignored: a line counts only when it has `gc=`,
 * `pause=` and `allocated=`.
 */
export function sumGcTrace(text: string): GcTotals {
  let allocatedBytes = 0;
  let pauseMs = 0;
  let promotedBytes = 0;
  let collections = 0;
  for (const line of text.split("\n")) {
    if (!line.includes("pause=")) continue;
    const fields = new Map([...line.matchAll(FIELD)].map(([, name, value]) => [name, value]));
    const pause = Number(fields.get("pause"));
    const allocated = Number(fields.get("allocated"));
    if (!fields.has("gc") || !Number.isFinite(pause) || !Number.isFinite(allocated)) continue;
    allocatedBytes += allocated;
    pauseMs += pause + (Number(fields.get("incremental")) || 0);
    promotedBytes += Number(fields.get("promoted")) || 0;
    collections++;
  }
  return { allocatedBytes, pauseMs, promotedBytes, collections };
}

/** Where each child's stdout file ends now (bytes); NaN for a child without one. */
export function traceOffsets(children: readonly Child[]): number[] {
  return children.map((child) => {
    try {
      return child.stdoutFile === undefined ? Number.NaN : statSync(child.stdoutFile).size;
    } catch {
      return Number.NaN;
    }
  });
}

/** Allocation and GC time per request of one process over a window, from its trace. */
export interface GcPerRequest {
  /** Heap allocation per request, in KB (1 KB = 1024 bytes). */
  readonly allocatedKb: number;
  /** Main-thread GC time per request, in µs. */
  readonly pauseUs: number;
  /** Bytes promoted to the old generation per request, in KB. */
  readonly promotedKb: number;
}

/**
 * Each child's allocation, GC time and promotion per request between two `traceOffsets` samples; NaN for
 * a child whose window holds no collection (no trace, or too short a window to tell).
 */
export function gcPerRequest(
  children: readonly Child[],
  from: readonly number[],
  to: readonly number[],
  requests: number,
): GcPerRequest[] {
  return children.map((child, i) => {
    const totals = sumGcTrace(readRange(child.stdoutFile, from[i], to[i]));
    if (totals.collections === 0) {
      return { allocatedKb: Number.NaN, pauseUs: Number.NaN, promotedKb: Number.NaN };
    }
    return {
      allocatedKb: totals.allocatedBytes / 1024 / requests,
      pauseUs: (totals.pauseMs * 1000) / requests,
      promotedKb: totals.promotedBytes / 1024 / requests,
    };
  });
}

/** The bytes of `file` from `from` to `to` as text; "" when either is unknown. */
function readRange(file: string | undefined, from = Number.NaN, to = Number.NaN): string {
  if (file === undefined || !(to > from)) return "";
  const buffer = Buffer.alloc(to - from);
  const fd = openSync(file, "r");
  try {
    const read = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.toString("utf8", 0, read);
  } finally {
    closeSync(fd);
  }
}
