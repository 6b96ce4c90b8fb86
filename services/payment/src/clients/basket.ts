import { Code, createClient, type Transport } from "@connectrpc/connect";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { hasCode, requestHeaders, upstreamFailure } from "./upstream-errors.js";

/** What checkout takes from a basket: its id and, per line, which product and how many. */
export type BasketSnapshot = {
  readonly id: string;
  readonly lines: readonly { readonly productId: bigint; readonly quantity: number }[];
};

/** The basket service as checkout sees it. */
export type BasketReader = ReturnType<typeof createBasketReader>;

/** Reads baskets over gRPC; a missing basket is `undefined`, not an error. */
export function createBasketReader(transport: Transport) {
  const client = createClient(BasketService, transport);
  return {
    async getBasket(userId: string, requestId?: string): Promise<BasketSnapshot | undefined> {
      try {
        const { basket } = await client.getBasket(
          { userId },
          { headers: requestHeaders(requestId) },
        );
        if (!basket) throw new Error(`basket service sent no basket for user ${userId}`);
        return {
          id: basket.id,
          lines: basket.items.map(({ productId, quantity }) => ({ productId, quantity })),
        };
      } catch (error) {
        if (hasCode(error, Code.NotFound)) return undefined;
        throw upstreamFailure(error, "basket", "GetBasket", "no payment was created");
      }
    },
  };
}
