import { fromJsonString } from "@bufbuild/protobuf";
import { BasketClearedSchema } from "#gen/shop/events/v1/events_pb";
import {
  type BackgroundConsumer,
  consumeTopicInBackground,
  type ServiceConsumerDeps,
} from "#shared/kafka/background";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { PoisonMessageError } from "#shared/kafka/poison";
import { TOPICS } from "#shared/kafka/topics";
import type { Logger } from "#shared/logger";
import { parseUserId, type UserId } from "../domain/basket.js";
import type { BasketRepository } from "../redis/basket-repository.js";

/** The consumer group of the basket service on `basket-events`. */
export const BASKET_EVENTS_GROUP = "basket-cleared";

/** A BasketCleared that can never be applied (unreadable payload, bad user id): dead-lettered at once. */
export class MalformedBasketEvent extends PoisonMessageError {
  override name = "MalformedBasketEvent";
}

type Baskets = Pick<BasketRepository, "clearForEvent">;

/**
 * The handler for `basket-events`: a BasketCleared empties the user's basket once per event id
 * (the repository records the id in the same Lua script), and resolves once Redis has done it.
 * Other event types are not this service's business and are skipped. Throws MalformedBasketEvent
 * for a BasketCleared it cannot read; any other rejection (Redis down) is worth retrying.
 */
export function createBasketClearedHandler(deps: { baskets: Baskets; logger: Logger }) {
  return async (event: CloudEvent): Promise<void> => {
    if (event.type !== BasketClearedSchema.typeName) {
      deps.logger.debug({ eventId: event.id, type: event.type }, "basket event ignored");
      return;
    }
    const userId = parseBasketCleared(event);
    const outcome = await deps.baskets.clearForEvent(userId, event.id);
    deps.logger.debug({ eventId: event.id, userId, outcome }, "basket cleared for event");
  };
}

/** The user whose basket a BasketCleared event empties; MalformedBasketEvent when it names none. */
export function parseBasketCleared(event: CloudEvent): UserId {
  try {
    // Fields added to the event later must not turn today's consumer into a dead-letter pump.
    const message = fromJsonString(BasketClearedSchema, event.payload, {
      ignoreUnknownFields: true,
    });
    return parseUserId(message.userId);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new MalformedBasketEvent(`event ${event.id}: unreadable BasketCleared: ${why}`);
  }
}

export type BasketEventsConsumerDeps = ServiceConsumerDeps & { readonly baskets: Baskets };

/** Consumes `basket-events` with the handler above, in the background (see consumeInBackground). */
export function consumeBasketEvents(deps: BasketEventsConsumerDeps): BackgroundConsumer {
  const defaults = { topic: TOPICS.basket, groupId: BASKET_EVENTS_GROUP };
  return consumeTopicInBackground(deps, defaults, createBasketClearedHandler(deps));
}
