import { create, type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  BasketClearedSchema,
  PaymentCompletedSchema,
  PaymentFailedSchema,
  PaymentRefundedSchema,
  StockChangeReason,
  StockUpdatedSchema,
} from "#gen/shop/events/v1/events_pb";
import { type Cents, formatMoney } from "#shared/money";
import type { PaymentEvent, StockChange } from "../domain/events.js";
import { newUuidV7 } from "../domain/payment-id.js";

/** The Kafka topics of SPEC §6. */
export const TOPICS = {
  payment: "payment-events",
  stock: "stock-events",
  basket: "basket-events",
} as const;

/**
 * One outbox row's content: where the event goes (topic, key = aggregate id, so order holds per
 * aggregate), what it is (`eventType` = the message's full name, the CloudEvents `ce_type`) and
 * the message as proto JSON (the Kafka value; readable with any Kafka CLI).
 */
export type OutboxMessage = {
  readonly eventId: string;
  readonly topic: string;
  readonly messageKey: string;
  readonly eventType: string;
  readonly payload: string;
};

const REASONS: Record<StockChange, StockChangeReason> = {
  SOLD: StockChangeReason.SOLD,
  RELEASED: StockChangeReason.RELEASED,
  RESTOCKED: StockChangeReason.RESTOCKED,
};

/** The `shop.events.v1` message of a domain event, with a fresh event id. */
export function toOutboxMessage(event: PaymentEvent): OutboxMessage {
  switch (event.kind) {
    case "PaymentCompleted": {
      const { payment } = event;
      return message(TOPICS.payment, payment.id, PaymentCompletedSchema, {
        ...paymentHead(payment),
        items: payment.items.map((item) => ({
          productId: item.productId,
          name: item.name,
          quantity: item.quantity,
          price: formatMoney(item.price),
          subtotal: formatMoney(item.subtotal),
        })),
        completedAt: timestampFromDate(payment.processedAt),
      });
    }
    case "PaymentFailed":
      return message(TOPICS.payment, event.payment.id, PaymentFailedSchema, {
        ...paymentHead(event.payment),
        reason: event.payment.failureReason,
        failedAt: timestampFromDate(event.payment.processedAt),
      });
    case "PaymentRefunded": {
      const { payment, refund } = event;
      return message(TOPICS.payment, payment.id, PaymentRefundedSchema, {
        ...paymentHead(payment),
        refundId: refund.id,
        amount: formatMoney(refund.amount),
        refundedTotal: formatMoney(payment.refundedAmount),
        reason: refund.reason,
        full: payment.status === "REFUNDED",
        refundedAt: timestampFromDate(refund.createdAt),
      });
    }
    case "StockUpdated":
      return message(TOPICS.stock, event.productId.toString(), StockUpdatedSchema, {
        productId: event.productId,
        paymentId: event.paymentId,
        quantity: event.quantity,
        reason: REASONS[event.reason],
      });
    case "BasketCleared":
      return message(TOPICS.basket, event.userId, BasketClearedSchema, {
        userId: event.userId,
        paymentId: event.paymentId,
      });
  }
}

function paymentHead(payment: { id: string; userId: string; amount: Cents; currency: string }) {
  return {
    paymentId: payment.id,
    userId: payment.userId,
    amount: formatMoney(payment.amount),
    currency: payment.currency,
  };
}

function message<Desc extends DescMessage>(
  topic: string,
  messageKey: string,
  schema: Desc,
  init: Parameters<typeof create<Desc>>[1],
): OutboxMessage {
  const payload: MessageShape<Desc> = create(schema, init);
  return {
    eventId: newUuidV7(),
    topic,
    messageKey,
    eventType: schema.typeName,
    // Every field, defaults included (`"full": false`), so a reader never guesses.
    payload: toJsonString(schema, payload, { alwaysEmitImplicit: true }),
  };
}
