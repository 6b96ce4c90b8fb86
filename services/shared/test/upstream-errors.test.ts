/**
 * Errors that leave a service are chosen: a failed call to another service reaches our callers
 * only as Unavailable or DeadlineExceeded in our own words, or as Internal; what the service
 * raises on purpose keeps its code and message.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "#gen/health/v1/health_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { createServiceTransport } from "#shared/rpc/client";
import { UpstreamError } from "#shared/rpc/upstream-error";
import { bindService } from "#shared/server/service-server";
import { startTestServer } from "#shared-test/service-harness";

const unused = () => {
  throw new Error("not used");
};

/** A ProductService whose GetProduct fails with `error`. */
const failing = (error: ConnectError) =>
  bindService(ProductService, {
    getProduct() {
      throw error;
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });

/** A ProductService whose GetProduct asks the product service at `url` and lets any error be. */
const relaying = (url: string) => {
  const upstream = createClient(
    ProductService,
    createServiceTransport({ urls: [url], timeoutMs: 2000 }),
  );
  return bindService(ProductService, {
    getProduct: (req) => upstream.getProduct(req),
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
};

type Server = Awaited<ReturnType<typeof startTestServer>>;
const started: Server[] = [];
const start = async (binding: ReturnType<typeof bindService>) => {
  const server = await startTestServer({ services: [binding], isReady: async () => true });
  started.push(server);
  return server;
};
afterAll(() => Promise.all(started.map((server) => server.close(100))));

/** What a caller of a service relaying to `upstreamUrl` sees. */
async function seenThrough(upstreamUrl: string) {
  const relay = await start(relaying(upstreamUrl));
  const client = createClient(ProductService, createGrpcTransport({ baseUrl: relay.baseUrl }));
  const error = await client.getProduct({ id: 1n }).catch((e) => ConnectError.from(e));
  return { code: Code[(error as ConnectError).code], message: (error as ConnectError).rawMessage };
}

describe("errors from other services", () => {
  let refusing: Server;
  let breaking: Server;
  beforeAll(async () => {
    refusing = await start(failing(new ConnectError("upstream's own words", Code.NotFound)));
    breaking = await start(failing(new ConnectError("disk on fire at 10.0.0.7", Code.Internal)));
  });

  it("reach the service's callers as Internal when no handler translated them", async () => {
    for (const url of [refusing.baseUrl, breaking.baseUrl]) {
      expect(await seenThrough(url)).toEqual({ code: "Internal", message: "internal error" });
    }
  });

  it("keep Unavailable, in our own words, when the other service is down", async () => {
    expect(await seenThrough("http://127.0.0.1:1")).toEqual({
      code: "Unavailable",
      message: "a service this one depends on is unavailable",
    });
  });

  it("arrive at the caller as UpstreamError, sorted by what may be repeated", async () => {
    const kindOf = async (url: string) => {
      const transport = createServiceTransport({ urls: [url], timeoutMs: 2000 });
      const call = createClient(ProductService, transport).getProduct({ id: 1n });
      const error = await call.catch((e: unknown) => e);
      transport.close();
      return error instanceof UpstreamError ? error.kind : error;
    };
    expect(await kindOf(refusing.baseUrl)).toBe("refused");
    expect(await kindOf(breaking.baseUrl)).toBe("failed");
    expect(await kindOf("http://127.0.0.1:1")).toBe("unavailable");
  });
});

describe("errors a service raises on purpose", () => {
  it("keep their code and message", async () => {
    const server = await start(failing(new ConnectError("chosen", Code.FailedPrecondition)));
    const transport = createGrpcTransport({ baseUrl: server.baseUrl });
    const product = createClient(ProductService, transport).getProduct({ id: 1n });
    await expect(product).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: "chosen",
    });
    const health = createClient(Health, transport).check({ service: "nope" });
    await expect(health).rejects.toMatchObject({ code: Code.NotFound });
  });
});
