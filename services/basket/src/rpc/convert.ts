import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Basket as BasketMessage, BasketSchema } from "#gen/shop/basket/v1/basket_pb";
import { formatMoney } from "#shared/money";
import type { Basket } from "../domain/basket.js";

/** The wire form of a basket: money as decimal strings, times as Timestamps. */
export function toBasketMessage(basket: Basket): BasketMessage {
  return create(BasketSchema, {
    id: basket.id,
    userId: basket.userId,
    total: formatMoney(basket.total),
    createdAt: timestampFromDate(basket.createdAt),
    updatedAt: timestampFromDate(basket.updatedAt),
    items: basket.items.map((item) => ({
      id: item.id,
      productId: item.productId,
      name: item.name,
      quantity: item.quantity,
      price: formatMoney(item.price),
      subtotal: formatMoney(item.subtotal),
      category: item.category,
      createdAt: timestampFromDate(item.createdAt),
    })),
  });
}
