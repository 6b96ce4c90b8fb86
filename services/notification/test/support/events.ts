import { randomUUID } from "node:crypto";
import { create, type DescMessage, type MessageInitShape, toJsonString } from "@bufbuild/protobuf";
import {
  BasketClearedSchema,
  PaymentCompletedSchema,
  PaymentFailedSchema,
  PaymentRefundedSchema,
  StockChangeReason,
  StockUpdatedSchema,
} from "#gen/shop/events/v1/events_pb";
import type { CloudEvent } from "#shared/kafka/cloudevents";

/** A CloudEvent of `schema` keyed by `key`, as the payment service's outbox publishes it. */
export function cloudEvent<Desc extends DescMessage>(
  schema: Desc,
  key: string,
  init: MessageInitShape<Desc>,
  id: string = randomUUID(),
): CloudEvent {
  return {
    id,
    type: schema.typeName,
    source: "/connect-shop/payment",
    time: new Date().toISOString(),
    subject: key,
    key,
    payload: toJsonString(schema, create(schema, init)),
  };
}

/** The events of one payment of `userId`: completed, failed, refunded, its stock and basket. */
export function paymentOf(userId: string, amount = "2.50") {
  const paymentId = randomUUID();
  return {
    paymentId,
    completed: (id?: string) =>
      cloudEvent(
        PaymentCompletedSchema,
        paymentId,
        { paymentId, userId, amount, currency: "USD" },
        id,
      ),
    failed: (reason = "card declined") =>
      cloudEvent(PaymentFailedSchema, paymentId, {
        paymentId,
        userId,
        amount,
        currency: "USD",
        reason,
      }),
    refunded: (refund: string, full: boolean) =>
      cloudEvent(PaymentRefundedSchema, paymentId, {
        paymentId,
        userId,
        refundId: randomUUID(),
        amount: refund,
        refundedTotal: refund,
        currency: "USD",
        reason: "returned",
        full,
      }),
    stockSold: (productId: bigint) =>
      cloudEvent(StockUpdatedSchema, String(productId), {
        productId,
        paymentId,
        quantity: 1,
        reason: StockChangeReason.SOLD,
      }),
    basketCleared: () => cloudEvent(BasketClearedSchema, userId, { userId, paymentId }),
  };
}
