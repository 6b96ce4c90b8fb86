import { type DescMessage, fromJsonString, type MessageShape } from "@bufbuild/protobuf";
import {
  PaymentCompletedSchema,
  PaymentFailedSchema,
  PaymentRefundedSchema,
} from "#gen/shop/events/v1/events_pb";
import type { CloudEvent } from "#shared/kafka/cloudevents";
import { PoisonMessageError } from "#shared/kafka/poison";
import { parseMoney } from "#shared/money";
import type { PaymentEvent } from "../domain/notification.js";

/** A payment event no retry can make readable: `runConsumer` dead-letters it at once. */
export class MalformedPaymentEvent extends PoisonMessageError {
  override name = "MalformedPaymentEvent";
}

/** The longest user id a payment accepts (payment.proto), so a notification always fits. */
const MAX_USER_ID = 128;

/** The CloudEvent types that make a notification. */
export const PAYMENT_EVENT_TYPES: ReadonlySet<string> = new Set([
  PaymentCompletedSchema.typeName,
  PaymentFailedSchema.typeName,
  PaymentRefundedSchema.typeName,
]);

/**
 * The payment event a CloudEvent carries; undefined for an event of another type (it makes no
 * notification). Throws MalformedPaymentEvent for a payment event whose payload is unreadable or
 * lacks the payment, the user, a decimal amount or the currency.
 */
export function parsePaymentEvent(event: CloudEvent): PaymentEvent | undefined {
  switch (event.type) {
    case PaymentCompletedSchema.typeName: {
      const m = decode(PaymentCompletedSchema, event);
      return checked(event, { kind: "payment_completed", ...m, reason: "", full: false });
    }
    case PaymentFailedSchema.typeName: {
      const m = decode(PaymentFailedSchema, event);
      return checked(event, { kind: "payment_failed", ...m, full: false });
    }
    case PaymentRefundedSchema.typeName: {
      const m = decode(PaymentRefundedSchema, event);
      return checked(event, { kind: "payment_refunded", ...m });
    }
    default:
      return undefined;
  }
}

function checked(event: CloudEvent, fields: PaymentEvent): PaymentEvent {
  const { kind, paymentId, userId, amount, currency, reason, full } = fields;
  const problem =
    (paymentId === "" && "payment_id is required") ||
    (userId === "" && "user_id is required") ||
    (userId.length > MAX_USER_ID && `user_id is longer than ${MAX_USER_ID} characters`) ||
    (parseMoney(amount) === undefined && `amount "${amount}" is not a decimal amount`) ||
    (!/^[A-Z]{3}$/.test(currency) && `currency "${currency}" is not ISO 4217`);
  if (problem) throw new MalformedPaymentEvent(`event ${event.id} (${event.type}): ${problem}`);
  return { kind, paymentId, userId, amount, currency, reason, full };
}

function decode<Desc extends DescMessage>(schema: Desc, event: CloudEvent): MessageShape<Desc> {
  try {
    // Fields added to the event later must not turn today's consumer into a dead-letter pump.
    return fromJsonString(schema, event.payload, { ignoreUnknownFields: true });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new MalformedPaymentEvent(`event ${event.id}: unreadable ${schema.name} payload: ${why}`);
  }
}
