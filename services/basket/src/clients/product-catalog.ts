import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { DependencyTimeout, DependencyUnavailable, NotFound } from "#shared/errors";
import { type Cents, parseMoney } from "#shared/money";

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
      try {
        const { product } = await client.getProduct(
          { id },
          { headers: requestId ? { "x-request-id": requestId } : undefined },
        );
        const price = product && parseMoney(product.price);
        if (!product || price === undefined) {
          throw new Error(`product service sent a malformed product ${id}`);
        }
        const { name, category, stockQuantity } = product;
        return { id, name, price, category, stockQuantity };
      } catch (error) {
        throw translate(error, id);
      }
    },
  };
}

function translate(error: unknown, id: bigint): unknown {
  if (!(error instanceof ConnectError)) return error;
  switch (error.code) {
    case Code.NotFound:
      return new NotFound("product", id);
    case Code.Unavailable:
      return new DependencyUnavailable(
        "product service is unavailable; the basket was not changed",
      );
    case Code.DeadlineExceeded:
      return new DependencyTimeout(
        "product service did not answer in time; the basket was not changed",
      );
    default:
      return error;
  }
}
