import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it, vi } from "vitest";
import { type GetProductRequest, ProductService } from "#gen/shop/product/v1/product_pb";
import { InvalidArgument, NotFound } from "#shared/errors";
import { bindService } from "#shared/server/service-server";
import { startTestServer } from "#shared-test/service-harness";

/**
 * A ProductService whose GetProduct takes `id` milliseconds, or fails for special ids;
 * `onCall` hears of each call as it arrives.
 */
function slowProducts(onCall: () => void = () => {}) {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    async getProduct(req: GetProductRequest) {
      onCall();
      if (req.id === 404n) throw new NotFound("product", req.id);
      if (req.id === 400n) throw new InvalidArgument("id", "is odd");
      if (req.id === 500n) throw new Error("database password is hunter2");
      await delay(Number(req.id));
      return { product: { id: req.id, name: "slow" } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

describe("the shared service server", () => {
  it("maps domain errors to Connect codes and hides unexpected ones as Internal", async () => {
    const server = await startTestServer({ services: [slowProducts()], isReady: async () => true });
    const client = createClient(ProductService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const failure = (id: bigint) => client.getProduct({ id }).catch((e) => ConnectError.from(e));
    try {
      expect(await failure(404n)).toMatchObject({
        code: Code.NotFound,
        rawMessage: "product 404 not found",
      });
      expect(await failure(400n)).toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: "id: is odd",
      });
      const internal = await failure(500n);
      expect(internal).toMatchObject({ code: Code.Internal, rawMessage: "internal error" });
    } finally {
      await server.close(100);
    }
  });

  it("lets in-flight calls finish on close and then refuses new connections", async () => {
    let calls = 0;
    const services = [slowProducts(() => calls++)];
    const server = await startTestServer({ services, isReady: async () => true });
    const grpc = createClient(ProductService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const web = createClient(
      ProductService,
      createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1" }),
    );
    const inFlight = [grpc.getProduct({ id: 300n }), web.getProduct({ id: 300n })];
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 10_000 });
    const closed = server.close(5000);
    const results = await Promise.allSettled(inFlight);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    await closed;
    const late = createClient(ProductService, createGrpcTransport({ baseUrl: server.baseUrl }));
    await expect(late.getProduct({ id: 1n })).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("lets a unary gRPC call served from node's HTTP/2 stream finish on close", async () => {
    let calls = 0;
    const services = [slowProducts(() => calls++)];
    const server = await startTestServer({ services, isReady: async () => true });
    const grpc = createClient(ProductService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const order: string[] = [];
    const call = grpc.getProduct({ id: 300n }).then(({ product }) => {
      order.push("answered");
      return product?.name;
    });
    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 10_000 });
    await server.close(5000).then(() => order.push("closed"));
    expect(await call).toBe("slow");
    expect(order).toEqual(["answered", "closed"]);
  });

  it("cuts calls that outlive the grace period", async () => {
    let calls = 0;
    const services = [slowProducts(() => calls++)];
    const server = await startTestServer({ services, isReady: async () => true });
    const client = createClient(
      ProductService,
      createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1" }),
    );
    const stuck = client.getProduct({ id: 10_000n });
    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 10_000 });
    await server.close(200);
    // The handler would answer after 10 s; a call cut at the grace period fails instead.
    await expect(stuck).rejects.toBeInstanceOf(ConnectError);
  });
});
