/**
 * The load generator of rows that send many gRPC request bodies (bench/lib/grpc-frames.ts), run
 * by the bench as a process of its own so that its CPU is counted apart from the bench's. Its
 * one argument is the JSON of a FramesSpec and a LoadWindow. It prints PHASE_START and PHASE_END
 * as the measured window starts and ends, then one JSON line of counts; the latencies go to the
 * window's log file.
 */
import { readFileSync } from "node:fs";
import {
  driveFrames,
  type FramesSpec,
  PHASE_END,
  PHASE_START,
  splitFrames,
  writeDrive,
} from "./lib/grpc-frames.js";
import type { LoadWindow } from "./lib/load.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as FramesSpec & LoadWindow;
const frames = splitFrames(readFileSync(spec.framesFile));
const result = await driveFrames({ ...spec, frames }, spec, (phase) => {
  process.stdout.write(`${phase === "start" ? PHASE_START : PHASE_END}\n`);
});
writeDrive(spec.logFile, result);
const { latenciesUs: _, ...counts } = result;
process.stdout.write(`${JSON.stringify(counts)}\n`);
