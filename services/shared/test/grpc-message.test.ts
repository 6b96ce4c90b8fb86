import { Code, ConnectError } from "@connectrpc/connect";
import type * as grpc from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { encodeGrpcMessage, respellGrpcMessage } from "#shared/rpc/grpc-status";
import { bindService } from "#shared/server/service-server";
import { loadGrpcJsClient } from "#shared-test/grpc-js-client";
import { startTestServer } from "#shared-test/service-harness";

const message = "id: must be ≤ 2^63, got 100% of /x?y=1 (é)";

describe("grpc-message in the gRPC spec's own encoding", () => {
  it("escapes only bytes outside 0x20–0x7E, and '%'", () => {
    expect(encodeGrpcMessage(message)).toBe(
      "id: must be %E2%89%A4 2^63, got 100%25 of /x?y=1 (%C3%A9)",
    );
    expect(respellGrpcMessage(encodeURIComponent(message))).toBe(encodeGrpcMessage(message));
    // Not connect-es's spelling: left as it came.
    expect(respellGrpcMessage("100%")).toBe("100%");
  });

  const refusing = bindService(ProductService, {
    getProduct() {
      throw new ConnectError(message, Code.InvalidArgument);
    },
    createProduct: refuse,
    listProducts: refuse,
    updateProduct: refuse,
    deleteProduct: refuse,
    listCategories: refuse,
  });
  const servers: { close(ms?: number): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close(200)));
  });

  it.each([
    ["the fast gRPC path", true],
    ["connect-node's handler", false],
  ])("reaches a @grpc/grpc-js client intact through %s", async (_, unaryGrpcFastPath) => {
    const server = await startTestServer({
      services: [refusing],
      isReady: async () => true,
      unaryGrpcFastPath,
    });
    servers.push(server);
    const client = loadGrpcJsClient(
      "shop/product/v1/product.proto",
      "shop.product.v1.ProductService",
      `127.0.0.1:${server.port}`,
    );
    try {
      const failure = await client.call("GetProduct", { id: "1" }).then(
        () => undefined,
        (error: grpc.ServiceError) => error,
      );
      expect(failure?.code).toBe(3);
      expect(failure?.details).toBe(message);
    } finally {
      client.close();
    }
  });
});

function refuse(): never {
  throw new ConnectError("not here", Code.Unimplemented);
}
