/**
 * The unary gRPC short path (services/shared/src/fast-grpc/unary-handler.ts) must answer
 * exactly as connect-node does: each case sends the same raw HTTP/2 request to a server with the
 * short path and one without and compares status, headers, body bytes and trailers.
 */
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Answer,
  CASES,
  frame,
  GRPC,
  PATH,
  request,
  requestCounts,
  type Started,
  send,
  sendAndTap,
  start,
} from "./support/twin-servers.js";

describe("the unary gRPC short path", () => {
  let fast: Started;
  let stock: Started;
  beforeAll(async () => {
    [fast, stock] = await Promise.all([start("fast"), start("stock")]);
  });
  afterAll(async () => {
    await Promise.all([fast.server.close(100), stock.server.close(100)]);
  });

  it.each(CASES)("answers %s as connect-node does", async (_name, headers, body) => {
    const [ours, theirs] = [
      await send(fast.url, headers, body),
      await send(stock.url, headers, body),
    ];
    const requestId = (answer: Answer) =>
      headers["x-request-id"]
        ? answer
        : { ...answer, headers: { ...answer.headers, "x-request-id": "*" } };
    expect(requestId(ours)).toEqual(requestId(theirs));
  });

  it.each(CASES)(
    "writes the same HTTP/2 frames for %s as connect-node",
    async (_, headers, body) => {
      const [ours, theirs] = [
        await sendAndTap(fast.url, headers, body),
        await sendAndTap(stock.url, headers, body),
      ];
      expect(ours.frames.length).toBeGreaterThan(0);
      expect(ours.frames).toEqual(theirs.frames);
    },
  );

  const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;
  it.each([
    ["Canceled when the client cancels", NGHTTP2_CANCEL, Code.Canceled],
    ["Internal when the client resets with INTERNAL_ERROR", NGHTTP2_INTERNAL_ERROR, Code.Internal],
    ["ResourceExhausted on ENHANCE_YOUR_CALM", NGHTTP2_ENHANCE_YOUR_CALM, Code.ResourceExhausted],
  ])("aborts the handler's signal as %s", async (_, resetCode, code) => {
    /** The reason seen by a handler whose call the client resets as soon as it started. */
    const reasonSeenBy = async ({ url, watchers }: Started) => {
      const started = Promise.withResolvers<void>();
      const cancelled = Promise.withResolvers<unknown>();
      const id = randomUUID();
      watchers.set(id, { started: started.resolve, cancelled: cancelled.resolve });
      const headers = { ...GRPC, "x-request-id": id };
      await send(url, headers, frame(request(600n)), started.promise, resetCode);
      return cancelled.promise;
    };
    expect(await reasonSeenBy(fast)).toBe(code);
    expect(await reasonSeenBy(stock)).toBe(code);
  });

  it("stays up, logging and counting nothing, when a client resets a call mid-body", async () => {
    /** Sends half a message, resets the stream once the server has it, and then a whole call. */
    const resetMidBody = async ({ url, logs }: Started) => {
      const before = logs.length;
      const session = http2.connect(url);
      const stream = session.request({ ":method": "POST", ":path": PATH, ...GRPC });
      stream.on("error", () => {});
      stream.write(frame(request(1n)).subarray(0, 4));
      // The server's WINDOW_UPDATE or PING answer is not guaranteed; a ping round trip is: the
      // half message was read before the PING that follows it.
      await new Promise((resolve) => session.ping(resolve));
      stream.close(NGHTTP2_INTERNAL_ERROR);
      await new Promise((resolve) => stream.once("close", resolve));
      session.close();
      const after = await send(url, GRPC, frame(request(1n)));
      return { logged: logs.slice(before).length, status: after.trailers["grpc-status"] };
    };
    const ours = await resetMidBody(fast);
    expect(ours).toEqual({ logged: 1, status: "0" });
    expect(ours).toEqual(await resetMidBody(stock));
    expect(await requestCounts(fast)).toEqual(await requestCounts(stock));
  });
});
