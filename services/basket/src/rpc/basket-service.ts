import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { BasketService } from "#gen/shop/basket/v1/basket_pb";
import type { ProductCatalog } from "../clients/product-catalog.js";
import { parseProductId, parseQuantity, parseUserId } from "../domain/basket.js";
import type { BasketRepository } from "../redis/basket-repository.js";
import { toBasketMessage } from "./convert.js";

/**
 * The BasketService RPCs. Adding or changing a line first asks the product service for the
 * product's name, price, category and stock; when that fails (unknown product, product service
 * down) the basket is left as it was.
 */
export function createBasketService(
  baskets: BasketRepository,
  catalog: ProductCatalog,
): ServiceImpl<typeof BasketService> {
  const requestId = (ctx: HandlerContext) => ctx.requestHeader.get("x-request-id") ?? undefined;
  return {
    async getBasket(req) {
      return { basket: toBasketMessage(await baskets.get(parseUserId(req.userId))) };
    },
    async createBasket(req) {
      return { basket: toBasketMessage(await baskets.create(parseUserId(req.userId))) };
    },
    async deleteBasket(req) {
      await baskets.delete(parseUserId(req.userId));
      return {};
    },
    async addItem(req, ctx) {
      const userId = parseUserId(req.userId);
      const quantity = parseQuantity(req.quantity);
      const product = await catalog.getProduct(parseProductId(req.productId), requestId(ctx));
      const line = { ...product, productId: product.id, quantity };
      const basket = await baskets.addItem(userId, line, product.stockQuantity);
      return { basket: toBasketMessage(basket) };
    },
    async updateItem(req, ctx) {
      const userId = parseUserId(req.userId);
      const quantity = parseQuantity(req.quantity);
      const product = await catalog.getProduct(parseProductId(req.productId), requestId(ctx));
      const basket = await baskets.updateItem(userId, product.id, quantity, product.stockQuantity);
      return { basket: toBasketMessage(basket) };
    },
    async removeItem(req) {
      const userId = parseUserId(req.userId);
      const basket = await baskets.removeItem(userId, parseProductId(req.productId));
      return { basket: toBasketMessage(basket) };
    },
    async clearItems(req) {
      return { basket: toBasketMessage(await baskets.clearItems(parseUserId(req.userId))) };
    },
  };
}
