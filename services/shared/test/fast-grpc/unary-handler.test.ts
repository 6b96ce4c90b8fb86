/**
 * The unary gRPC short path (services/shared/src/fast-grpc/unary-handler.ts) must answer
 * exactly as connect-node does: each case sends the same raw HTTP/2 request to a server with the
 * short path and one without and compares status, headers, body bytes and trailers.
 */
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Answer,
  CASES,
  frame,
  GRPC,
  request,
  type Started,
  send,
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

  it("aborts the handler's signal as Canceled when the client cancels", async () => {
    /** The reason seen by a handler whose call the client cancels as soon as it started. */
    const reasonSeenBy = async ({ url, watchers }: Started) => {
      const started = Promise.withResolvers<void>();
      const cancelled = Promise.withResolvers<unknown>();
      const id = randomUUID();
      watchers.set(id, { started: started.resolve, cancelled: cancelled.resolve });
      await send(url, { ...GRPC, "x-request-id": id }, frame(request(600n)), started.promise);
      return cancelled.promise;
    };
    expect(await reasonSeenBy(fast)).toBe(Code.Canceled);
    expect(await reasonSeenBy(stock)).toBe(Code.Canceled);
  });
});
