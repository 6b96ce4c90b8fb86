import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAGE_CACHE_PRODUCTS } from "../../services/product/src/db/page-cache.js";
import { grpcFrame } from "../lib/fixture.js";
import { driveFrames, splitFrames } from "../lib/grpc-frames.js";
import { listPageRequests } from "../lib/list-pages.js";

// A gRPC-shaped server whose answer depends on the one-byte message: 1 fails trailers-only with
// grpc-status 5 (as most gRPC errors come), every other one answers a message and grpc-status 0.
const received = new Map<number, number>();
const server = http2.createServer();
server.on("stream", (stream) => {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const message = Buffer.concat(chunks)[5] ?? -1;
    received.set(message, (received.get(message) ?? 0) + 1);
    if (message === 1) {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "5" },
        { endStream: true },
      );
      return;
    }
    stream.respond(
      { ":status": 200, "content-type": "application/grpc" },
      { waitForTrailers: true },
    );
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(grpcFrame(Buffer.from([message])));
  });
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("driveFrames", () => {
  it("sends the bodies in turn and counts a non-zero grpc-status as a failure", async () => {
    const frames = [0, 1, 2].map((n) => grpcFrame(Buffer.from([n])));
    const phases: string[] = [];
    const result = await driveFrames(
      { url, path: "/test.v1.Test/Call", frames, connections: 2, streams: 2 },
      { warmUpSeconds: 0.05, durationSeconds: 0.2 },
      (phase) => phases.push(phase),
    );
    expect(phases).toEqual(["start", "end"]);
    expect(result.done).toBeGreaterThan(0);
    expect(result.latenciesUs).toHaveLength(result.done);
    expect(Object.keys(result.errors)).toEqual(["grpc-status 5"]);
    expect(result.errors["grpc-status 5"]).toBe(result.failed);
    // One body in three fails; the window's two ends may each cut into the 4 in flight.
    expect(Math.abs(result.failed - result.done / 3)).toBeLessThanOrEqual(5);
    const counts = [0, 1, 2].map((n) => received.get(n) ?? 0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});

describe("splitFrames", () => {
  it("splits frames written back to back, empty messages included", () => {
    const frames = [Buffer.from("abc"), Buffer.alloc(0), Buffer.from("de")].map(grpcFrame);
    expect(splitFrames(Buffer.concat(frames))).toEqual(frames);
  });

  it("refuses a frame cut short", () => {
    expect(() => splitFrames(grpcFrame(Buffer.from("abc")).subarray(0, 7))).toThrow(/past the end/);
  });
});

describe("listPageRequests", () => {
  it("asks distinct pages holding far more products than the page cache keeps", () => {
    const requests = listPageRequests();
    expect(new Set(requests.map((request) => JSON.stringify(request))).size).toBe(requests.length);
    const products = requests.reduce((sum, request) => sum + request.pageSize, 0);
    expect(products).toBeGreaterThanOrEqual(4 * PAGE_CACHE_PRODUCTS);
  });
});
