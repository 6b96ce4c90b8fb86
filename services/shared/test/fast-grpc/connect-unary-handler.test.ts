/**
 * The unary Connect short path (services/shared/src/fast-grpc/connect-unary-handler.ts) must
 * answer exactly as connect-node does: each case sends the same raw HTTP/1.1 request to a server
 * with the short path and one without and compares status, headers and body bytes; then the log
 * lines and RPC metrics of both are compared.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { H1_CASES, type H1Answer, JSON_TYPE, sendH1 } from "./support/connect-h1.js";
import { comparableLogs, requestCounts, type Started, start } from "./support/twin-servers.js";

describe("the unary Connect short path over HTTP/1.1", () => {
  let fast: Started;
  let stock: Started;
  beforeAll(async () => {
    [fast, stock] = await Promise.all([start("fast"), start("stock")]);
  });
  afterAll(async () => {
    await Promise.all([fast.server.close(100), stock.server.close(100)]);
  });

  it.each(H1_CASES)("answers %s as connect-node does", async (_name, request) => {
    const [ours, theirs] = [await sendH1(fast.url, request), await sendH1(stock.url, request)];
    const requestId = (answer: H1Answer) =>
      request.headers["x-request-id"]
        ? answer
        : { ...answer, headers: { ...answer.headers, "x-request-id": "*" } };
    expect(requestId(ours)).toEqual(requestId(theirs));
  });

  it("logs and counts every call as connect-node does", async () => {
    const [ours, theirs] = [comparableLogs(fast), comparableLogs(stock)];
    expect(ours.length).toBeGreaterThan(H1_CASES.length / 2);
    expect(ours).toEqual(theirs);
    expect(await requestCounts(fast)).toEqual(await requestCounts(stock));
  });

  it("aborts the handler's signal when the client goes away", async () => {
    /** The reason seen by a handler whose client disconnects as soon as the call started. */
    const reasonSeenBy = async ({ url, watchers }: Started) => {
      const started = Promise.withResolvers<void>();
      const cancelled = Promise.withResolvers<unknown>();
      const id = randomUUID();
      watchers.set(id, { started: started.resolve, cancelled: cancelled.resolve });
      const req = http.request(`${url}/shop.product.v1.ProductService/GetProduct`, {
        method: "POST",
        agent: false,
        headers: { ...JSON_TYPE, "x-request-id": id },
      });
      req.on("error", () => {});
      req.end('{"id":"600"}');
      await started.promise;
      req.destroy();
      const reason = await cancelled.promise;
      return reason instanceof Error ? reason.name : reason;
    };
    expect(await reasonSeenBy(fast)).toBe(await reasonSeenBy(stock));
    expect(await reasonSeenBy(fast)).not.toBe(Code.DeadlineExceeded);
  });
});
