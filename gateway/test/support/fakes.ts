import { create, type Message } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type Basket,
  BasketItemSchema,
  BasketSchema,
  type BasketService,
} from "#gen/shop/basket/v1/basket_pb";
import { type Product, ProductSchema, type ProductService } from "#gen/shop/product/v1/product_pb";

/** One RPC as an in-memory fake saw it. */
export interface Call {
  readonly rpc: string;
  readonly request: Message;
  readonly requestId: string | null;
  readonly timeoutMs: number | undefined;
  /** The credential the gateway forwarded, if any. */
  readonly authorization: string | null;
}

const at = timestampFromMs(Date.UTC(2026, 0, 2, 3, 4, 5));

function record(calls: Call[], rpc: string, request: Message, ctx: HandlerContext): void {
  calls.push({
    rpc,
    request,
    requestId: ctx.requestHeader.get("x-request-id"),
    timeoutMs: ctx.timeoutMs(),
    authorization: ctx.requestHeader.get("authorization"),
  });
}

/** A product catalogue in a Map, seeded with product 1 ("Tea", 4.50, books). */
export function fakeProductService(calls: Call[]): ServiceImpl<typeof ProductService> {
  const products = new Map<bigint, Product>();
  let nextId = 1n;
  type Fields = Pick<Product, "name" | "price" | "stockQuantity" | "category">;
  const add = ({ name, price, stockQuantity, category }: Fields): Product => {
    const fields = { name, price, stockQuantity, category, createdAt: at, updatedAt: at };
    const product = create(ProductSchema, { ...fields, id: nextId++ });
    products.set(product.id, product);
    return product;
  };
  const find = (id: bigint): Product => {
    const product = products.get(id);
    if (!product) throw new ConnectError(`product ${id} not found`, Code.NotFound);
    return product;
  };
  add({ name: "Tea", price: "4.50", stockQuantity: 10, category: "books" });
  return {
    createProduct(request, ctx) {
      record(calls, "CreateProduct", request, ctx);
      if (request.name === "") throw new ConnectError("name: is required", Code.InvalidArgument);
      return { product: add(request) };
    },
    getProduct(request, ctx) {
      record(calls, "GetProduct", request, ctx);
      return { product: find(request.id) };
    },
    listProducts(request, ctx) {
      record(calls, "ListProducts", request, ctx);
      const all = [...products.values()];
      return {
        products: all.filter((p) => request.category === "" || p.category === request.category),
      };
    },
    updateProduct(request, ctx) {
      record(calls, "UpdateProduct", request, ctx);
      const product = find(request.id);
      if (request.name !== undefined) product.name = request.name;
      if (request.price !== undefined) product.price = request.price;
      return { product };
    },
    deleteProduct(request, ctx) {
      record(calls, "DeleteProduct", request, ctx);
      find(request.id);
      products.delete(request.id);
      return {};
    },
    listCategories(request, ctx) {
      record(calls, "ListCategories", request, ctx);
      return { categories: [] };
    },
  };
}

/** Baskets in a Map; AddItem prices every product at "2.00". */
export function fakeBasketService(calls: Call[]): ServiceImpl<typeof BasketService> {
  const baskets = new Map<string, Basket>();
  const find = (userId: string): Basket => {
    const basket = baskets.get(userId);
    if (!basket) throw new ConnectError(`basket of ${userId} not found`, Code.NotFound);
    return basket;
  };
  const ensure = (userId: string): Basket => {
    const basket =
      baskets.get(userId) ?? create(BasketSchema, { id: `b-${userId}`, userId, total: "0.00" });
    baskets.set(userId, basket);
    return basket;
  };
  return {
    getBasket(request, ctx) {
      record(calls, "GetBasket", request, ctx);
      return { basket: find(request.userId) };
    },
    createBasket(request, ctx) {
      record(calls, "CreateBasket", request, ctx);
      return { basket: ensure(request.userId) };
    },
    deleteBasket(request, ctx) {
      record(calls, "DeleteBasket", request, ctx);
      find(request.userId);
      baskets.delete(request.userId);
      return {};
    },
    addItem(request, ctx) {
      record(calls, "AddItem", request, ctx);
      if (request.quantity < 1)
        throw new ConnectError("quantity: must be at least 1", Code.InvalidArgument);
      const basket = ensure(request.userId);
      const item = {
        productId: request.productId,
        quantity: request.quantity,
        price: "2.00",
        createdAt: at,
      };
      basket.items.push(create(BasketItemSchema, { ...item, id: `i-${request.productId}` }));
      return { basket };
    },
    updateItem(request, ctx) {
      record(calls, "UpdateItem", request, ctx);
      const item = find(request.userId).items.find((line) => line.productId === request.productId);
      if (!item)
        throw new ConnectError(`product ${request.productId} not in basket`, Code.NotFound);
      item.quantity = request.quantity;
      return { basket: find(request.userId) };
    },
    removeItem(request, ctx) {
      record(calls, "RemoveItem", request, ctx);
      const basket = find(request.userId);
      basket.items = basket.items.filter((line) => line.productId !== request.productId);
      return { basket };
    },
    clearItems(request, ctx) {
      record(calls, "ClearItems", request, ctx);
      const basket = find(request.userId);
      basket.items = [];
      return { basket };
    },
  };
}
