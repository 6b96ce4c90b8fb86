import { setTimeout as delay } from "node:timers/promises";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { pino } from "pino";
import { expect } from "vitest";
import { type GetProductRequest, ProductService } from "#gen/shop/product/v1/product_pb";
import { createMetrics } from "#shared/metrics";
import { bindService, startServiceServer } from "#shared/server/service-server";
import { testVerifier } from "#shared-test/auth";

/**
 * GetProduct that waits `id` ms, and names the product after the x-via request header;
 * `onCall` hears of each call as it arrives.
 */
function products(onCall: () => void) {
  const unused = () => {
    throw new Error("not used");
  };
  return bindService(ProductService, {
    async getProduct(req: GetProductRequest, ctx) {
      onCall();
      await delay(Number(req.id), undefined, { signal: ctx.signal });
      return { product: { id: req.id, name: ctx.requestHeader.get("x-via") ?? "" } };
    },
    createProduct: unused,
    listProducts: unused,
    updateProduct: unused,
    deleteProduct: unused,
    listCategories: unused,
  });
}

/** A server of `products()`; `calls()` counts the calls that reached the handler. */
export async function start(port = 0) {
  let calls = 0;
  const server = await startServiceServer({
    name: "test",
    host: "127.0.0.1",
    port,
    services: [products(() => calls++)],
    logger: pino({ level: "silent" }),
    metrics: createMetrics(),
    verifier: testVerifier,
    isReady: async () => true,
  });
  return { ...server, calls: () => calls };
}

export const get = (transport: Transport, id = 1n) =>
  createClient(ProductService, transport).getProduct({ id });

export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (error) => ConnectError.from(error),
  );
}
