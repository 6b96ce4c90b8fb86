import { Code, createClient, type Transport } from "@connectrpc/connect";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { type Cents, parseMoney } from "#shared/money";
import { hasCode, requestHeaders, upstreamFailure } from "./upstream-errors.js";

/** What checkout needs of a product to price a line: its current name, price and category. */
export type ProductSnapshot = {
  readonly id: bigint;
  readonly name: string;
  readonly price: Cents;
  readonly category: string;
};

/** The product catalogue as checkout sees it. */
export type ProductCatalog = ReturnType<typeof createProductCatalog>;

/** Looks products up over gRPC; an unknown product is `undefined`, not an error. */
export function createProductCatalog(transport: Transport) {
  const client = createClient(ProductService, transport);
  return {
    async getProduct(id: bigint, requestId?: string): Promise<ProductSnapshot | undefined> {
      try {
        const { product } = await client.getProduct({ id }, { headers: requestHeaders(requestId) });
        const price = product && parseMoney(product.price);
        if (!product || price === undefined) {
          throw new Error(`product service sent a malformed product ${id}`);
        }
        return { id, name: product.name, price, category: product.category };
      } catch (error) {
        if (hasCode(error, Code.NotFound)) return undefined;
        throw upstreamFailure(error, "product", "GetProduct", "no payment was created");
      }
    },
  };
}
