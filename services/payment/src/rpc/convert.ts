import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Payment as PaymentMessage,
  PaymentSchema,
  PaymentStatus as PaymentStatusEnum,
  type Refund as RefundMessage,
  RefundSchema,
} from "#gen/shop/payment/v1/payment_pb";
import { InvalidArgument } from "#shared/errors";
import { formatMoney } from "#shared/money";
import {
  PAYMENT_STATUSES,
  type Payment,
  type PaymentStatus,
  paymentDetails,
  type Refund,
} from "../domain/payment.js";

/** The wire form of a payment: money as exact decimal strings, times as Timestamps. */
export function toPaymentMessage(payment: Payment): PaymentMessage {
  const details = paymentDetails(payment);
  return create(PaymentSchema, {
    id: payment.id,
    userId: payment.userId,
    basketId: payment.basketId,
    amount: formatMoney(payment.amount),
    currency: payment.currency,
    status: PaymentStatusEnum[payment.status],
    method: payment.method,
    provider: payment.provider,
    providerId: details.providerId,
    description: payment.description,
    failureReason: details.failureReason,
    refundedAmount: formatMoney(details.refundedAmount),
    items: payment.items.map((item) => ({
      productId: item.productId,
      name: item.name,
      quantity: item.quantity,
      price: formatMoney(item.price),
      subtotal: formatMoney(item.subtotal),
      category: item.category,
    })),
    refunds: details.refunds.map(toRefundMessage),
    metadata: { ...payment.metadata },
    createdAt: timestampFromDate(payment.createdAt),
    updatedAt: timestampFromDate(payment.updatedAt),
    processedAt: details.processedAt && timestampFromDate(details.processedAt),
    expiresAt: timestampFromDate(payment.expiresAt),
  });
}

export function toRefundMessage(refund: Refund): RefundMessage {
  return create(RefundSchema, {
    id: refund.id,
    amount: formatMoney(refund.amount),
    reason: refund.reason,
    createdAt: timestampFromDate(refund.createdAt),
  });
}

/** A status filter: UNSPECIFIED means any; a number no status has is InvalidArgument. */
export function toStatusFilter(status: PaymentStatusEnum): PaymentStatus | undefined {
  if (status === PaymentStatusEnum.UNSPECIFIED) return undefined;
  const name = PAYMENT_STATUSES.find((known) => PaymentStatusEnum[known] === status);
  if (!name) throw new InvalidArgument("status", `${status} is not a payment status`);
  return name;
}
