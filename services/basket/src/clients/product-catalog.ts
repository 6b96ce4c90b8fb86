import { Code, createClient, type Transport } from "@connectrpc/connect";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { NotFound } from "#shared/errors";
import { type Cents, parseMoney } from "#shared/money";
import { dependencyError, UpstreamError } from "#shared/rpc/upstream-error";

/** What the basket needs to know of a product when a line is added or changed. */
export interface ProductSnapshot {
  readonly id: bigint;
  readonly name: string;
  readonly price: Cents;
  readonly category: string;
  readonly stockQuantity: number;
}

/** The product service as the basket sees it. */
export type ProductCatalog = ReturnType<typeof createProductCatalog>;

/**
 * Looks products up over gRPC. Outcomes a caller can act on: NotFound when the product is unknown,
 * DependencyUnavailable when the product service cannot be reached, DependencyTimeout when it did
 * not answer within the transport's deadline.
 */
export function createProductCatalog(transport: Transport) {
  const client = createClient(ProductService, transport);
  return {
    async getProduct(id: bigint, requestId?: string): Promise<ProductSnapshot> {
      const { product } = await client
        .getProduct({ id }, { headers: requestId ? { "x-request-id": requestId } : undefined })
        .catch((error: unknown) => {
          throw translate(UpstreamError.from(error), id);
        });
      const price = product && parseMoney(product.price);
      if (!product || price === undefined) {
        throw new Error(`product service sent a malformed product ${id}`);
      }
      const { name, category, stockQuantity } = product;
      return { id, name, price, category, stockQuantity };
    },
  };
}

/** The failures the basket speaks of in its own words; any other stays an Internal error. */
function translate(failure: UpstreamError, id: bigint): Error {
  const dependency = dependencyError(failure, "product", "the basket was not changed");
  if (dependency) return dependency;
  return failure.cause.code === Code.NotFound ? new NotFound("product", id) : failure;
}
