import { readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Load, type LoadWindow, runLoadProcess } from "./load.js";

/**
 * A gRPC load of many request bodies, which h2load cannot make (it POSTs one fixed body): the
 * bodies are sent in turn, round-robin, each request the next one.
 */
export interface FramesSpec {
  /** Base URL of the server, e.g. `http://127.0.0.1:50051`. */
  readonly url: string;
  /** `/package.Service/Method`. */
  readonly path: string;
  /** gRPC length-prefixed frames back to back (`grpcFrame`), one per request body. */
  readonly framesFile: string;
  readonly connections: number;
  /** Concurrent streams per connection, as h2load's `--max-concurrent-streams`. */
  readonly streams: number;
}

const DRIVER = fileURLToPath(new URL("../grpc-frames-driver.js", import.meta.url));
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The load of `spec`, made by bench/grpc-frames-driver.ts in a process of its own, so that its
 * CPU is the load generator's column, as h2load's is. It prints a line as the measured window
 * starts and one as it ends (the PhaseListener's moments), writes each measured request's
 * microseconds to the window's log file and its counts and errors to `.out` beside it.
 */
export function grpcFramesLoad(spec: FramesSpec): Load {
  return async (window, onPhase) => {
    const { status, output, stderr } = await runLoadProcess(
      process.execPath,
      [DRIVER, JSON.stringify({ ...spec, ...window })],
      { start: PHASE_START, end: PHASE_END },
      onPhase,
    );
    const last = output.split("\n").findLast((line) => line.startsWith("{"));
    if (status !== 0 || last === undefined)
      throw new Error(`the gRPC frames driver exited with ${status}:\n${stderr}`);
    const summary = JSON.parse(last) as Omit<DriveResult, "latenciesUs">;
    const latenciesUs = readFileSync(window.logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map(Number);
    return {
      requestsPerSecond: summary.done / summary.seconds,
      done: summary.done,
      failed: summary.failed,
      latenciesUs,
    };
  };
}

export const PHASE_START = "measured window starts";
export const PHASE_END = "measured window ends";

/** What a drive counted in its measured window. */
export interface DriveResult {
  readonly seconds: number;
  /** Requests that completed in the window, failed ones included. */
  readonly done: number;
  /** Of those: a stream error or timeout, an HTTP status other than 200, a grpc-status not 0. */
  readonly failed: number;
  readonly latenciesUs: number[];
  /** Each distinct failure and how often it happened in the window. */
  readonly errors: Record<string, number>;
}

/**
 * Drives `spec` for one window: `connections` h2c sessions, each with `streams` loops that send
 * one request, await its end (trailers) and send the next body in turn. Requests that complete
 * inside the measured window are counted; the loops finish the request in hand after it.
 */
export async function driveFrames(
  spec: Omit<FramesSpec, "framesFile"> & { readonly frames: readonly Buffer[] },
  window: Omit<LoadWindow, "logFile">,
  onPhase: (phase: "start" | "end") => void,
): Promise<DriveResult> {
  const { frames } = spec;
  if (frames.length === 0) throw new Error("no request bodies to send");
  const sessions = await Promise.all(
    Array.from({ length: spec.connections }, () => connect(spec.url)),
  );
  const headers = {
    ":method": "POST",
    ":path": spec.path,
    "content-type": "application/grpc",
    te: "trailers",
  };
  const tally = { measuring: false, stopping: false, done: 0, failed: 0, next: 0 };
  const latenciesUs: number[] = [];
  const errors: Record<string, number> = {};
  const loop = async (session: http2.ClientHttp2Session) => {
    while (!tally.stopping) {
      const frame = frames[tally.next++ % frames.length] as Buffer;
      const started = performance.now();
      const error = await call(session, headers, frame);
      if (!tally.measuring) continue;
      tally.done++;
      latenciesUs.push((performance.now() - started) * 1000);
      if (error === undefined) continue;
      tally.failed++;
      errors[error] = (errors[error] ?? 0) + 1;
    }
  };
  const loops = sessions.flatMap((session) =>
    Array.from({ length: spec.streams }, () => loop(session)),
  );
  await delay(window.warmUpSeconds * 1000);
  onPhase("start");
  tally.measuring = true;
  const from = performance.now();
  await delay(window.durationSeconds * 1000);
  tally.measuring = false;
  onPhase("end");
  const seconds = (performance.now() - from) / 1000;
  tally.stopping = true;
  await Promise.all(loops);
  for (const session of sessions) session.close();
  return { seconds, done: tally.done, failed: tally.failed, latenciesUs, errors };
}

/** Splits a file of gRPC length-prefixed frames back to back into the frames. */
export function splitFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const end = at + 5 + bytes.readUInt32BE(at + 1);
    if (end > bytes.length) throw new Error(`a frame at byte ${at} runs past the end`);
    frames.push(bytes.subarray(at, end));
    at = end;
  }
  return frames;
}

/** Writes a drive's latencies (one µs per line) and its counts and errors (`.out`). */
export function writeDrive(logFile: string, result: DriveResult): void {
  const errors = Object.entries(result.errors).map(([message, count]) => `${count}\t${message}`);
  const lines = [
    `measured ${result.seconds.toFixed(3)} s: ${result.done} requests, ${result.failed} failed`,
    ...errors,
  ];
  writeFileSync(logFile.replace(/\.tsv$/, ".out"), `${lines.join("\n")}\n`);
  writeFileSync(logFile, result.latenciesUs.map((us) => `${us.toFixed(0)}\n`).join(""));
}

function connect(url: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.once("connect", () => {
      session.off("error", reject);
      // A session error also ends its streams, which count it as their failure.
      session.on("error", () => {});
      resolve(session);
    });
    session.once("error", reject);
  });
}

/** One unary call; resolves with undefined when it answered grpc-status 0, else with why not. */
function call(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  frame: Buffer,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let status: unknown;
    let grpcStatus: unknown;
    let failure: string | undefined;
    const stream = session.request(headers);
    stream.on("response", (head) => {
      status = head[":status"];
      // A trailers-only answer (most errors) has grpc-status among its headers.
      grpcStatus = head["grpc-status"];
    });
    stream.on("trailers", (trailers) => {
      grpcStatus = trailers["grpc-status"];
    });
    stream.on("error", (error) => {
      failure ??= error.message;
    });
    stream.setTimeout(REQUEST_TIMEOUT_MS, () => {
      failure ??= `no answer within ${REQUEST_TIMEOUT_MS} ms`;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on("close", () => {
      if (failure === undefined && status !== 200) failure = `HTTP status ${status}`;
      if (failure === undefined && grpcStatus !== "0") failure = `grpc-status ${grpcStatus}`;
      resolve(failure);
    });
    stream.resume();
    stream.end(frame);
  });
}
