import { afterAll, beforeAll, describe } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { bindService } from "#shared/server/service-server";
import { startTestServer } from "#shared-test/service-harness";
import { describeUnknownProcedures } from "./support/unknown-procedure-cases.js";

const unused = () => {
  throw new Error("not used");
};
const products = bindService(ProductService, {
  getProduct: unused,
  createProduct: unused,
  listProducts: unused,
  updateProduct: unused,
  deleteProduct: unused,
  listCategories: unused,
});

for (const fastPath of [true, false]) {
  describe(`a service port (unary gRPC fast path ${fastPath ? "on" : "off"})`, () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    beforeAll(async () => {
      server = await startTestServer({
        services: [products],
        isReady: async () => true,
        unaryGrpcFastPath: fastPath,
      });
    });
    afterAll(() => server?.close(100));
    describeUnknownProcedures(() => server);
  });
}
