/** What a notification tells of: one kind per payment event type. */
export const KINDS = ["payment_completed", "payment_failed", "payment_refunded"] as const;
export type NotificationKind = (typeof KINDS)[number];

/** A payment event as the notification service needs it, whatever its wire form. */
export type PaymentEvent = {
  readonly kind: NotificationKind;
  readonly paymentId: string;
  readonly userId: string;
  /** Exact decimal string as the event carried it: the amount paid, or this refund's. */
  readonly amount: string;
  readonly currency: string;
  /** PaymentFailed: why the provider refused; PaymentRefunded: the refund's reason. */
  readonly reason: string;
  /** PaymentRefunded: the payment is now refunded in full. */
  readonly full: boolean;
};

/** A notification about to be stored: made from one event, for the event's user. */
export type NewNotification = {
  readonly eventId: string;
  readonly userId: string;
  readonly kind: NotificationKind;
  readonly message: string;
  readonly paymentId: string;
  readonly amount: string;
  readonly currency: string;
};

/** A stored notification. */
export type Notification = NewNotification & {
  /** Decimal integer; larger ids were stored later. */
  readonly id: string;
  readonly createdAt: Date;
  readonly readAt: Date | undefined;
};

/** Longest reason quoted in a message; reasons come from the event and are not ours to bound. */
const MAX_REASON = 200;

/**
 * The notification that `event` (CloudEvent id `eventId`) makes: the amount appears exactly as
 * the event carried it, e.g. "Payment of 2.50 USD completed".
 */
export function notificationOf(eventId: string, event: PaymentEvent): NewNotification {
  const { kind, userId, paymentId, amount, currency } = event;
  return { eventId, userId, kind, paymentId, amount, currency, message: messageOf(event) };
}

function messageOf(event: PaymentEvent): string {
  const money = `${event.amount} ${event.currency}`;
  const reason = event.reason.trim().slice(0, MAX_REASON);
  switch (event.kind) {
    case "payment_completed":
      return `Payment of ${money} completed`;
    case "payment_failed":
      return reason ? `Payment of ${money} failed: ${reason}` : `Payment of ${money} failed`;
    case "payment_refunded":
      return event.full
        ? `Refund of ${money} issued; your payment is fully refunded`
        : `Refund of ${money} issued`;
  }
}
