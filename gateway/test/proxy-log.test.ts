import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { until } from "./support/load.js";
import { protocols } from "./support/protocols.js";
import { startResilientGateway } from "./support/resilient-gateway.js";

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe.each(protocols)("a proxied %s call", (name, protocol) => {
  it("carries the caller's X-Request-Id upstream and back, and is logged once with it", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const upstreamIds: (string | null)[] = [];
    const gateway = await startResilientGateway({
      getProduct: async (id, ctx) => {
        upstreamIds.push(ctx.requestHeader.get("x-request-id"));
        throw new ConnectError(`product ${id} not found`, Code.NotFound);
      },
      logger: pino({ level: "info" }, sink),
    });
    closers.push(() => gateway.close());
    const requestId = `trace-${name.replace(/\W+/g, "-")}`;
    const client = createClient(ProductService, protocol(gateway.baseUrl));
    const error = await client
      .getProduct({ id: 3n }, { headers: { "x-request-id": requestId } })
      .catch((thrown) => ConnectError.from(thrown));
    expect((error as ConnectError).code).toBe(Code.NotFound);
    expect(upstreamIds).toEqual([requestId]);
    // An error's metadata holds the answer's headers (and trailers).
    expect((error as ConnectError).metadata.get("x-request-id")).toBe(requestId);
    const route = `/${ProductService.typeName}/GetProduct`;
    await until(() => lines.some((line) => line.requestId === requestId), "the access log line");
    const logged = lines.filter((line) => line.requestId === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: "request", route, status: 404 });
  });
});
