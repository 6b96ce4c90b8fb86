import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport, type Transport } from "@connectrpc/connect";
import { ProductSchema, ProductService } from "#gen/shop/product/v1/product_pb";

export interface FakeProduct {
  name: string;
  price: string;
  category: string;
  stockQuantity: number;
}

/**
 * An in-memory product service answering GetProduct from `products`, over an in-process
 * transport; the other product RPCs are Unimplemented (the basket never calls them).
 */
export function fakeProductService(products: Map<bigint, FakeProduct>): Transport {
  const unimplemented = () => {
    throw new ConnectError("not in the fake", Code.Unimplemented);
  };
  return createRouterTransport(({ service }) => {
    service(ProductService, {
      getProduct(req) {
        const product = products.get(req.id);
        if (!product) throw new ConnectError(`product ${req.id} not found`, Code.NotFound);
        return { product: create(ProductSchema, { id: req.id, ...product }) };
      },
      createProduct: unimplemented,
      listProducts: unimplemented,
      updateProduct: unimplemented,
      deleteProduct: unimplemented,
      listCategories: unimplemented,
    });
  });
}
