import type { Cents } from "#shared/money";

/** The outcome of asking a provider to move money: its reference, or why it refused. */
export type ProviderOutcome =
  | { readonly ok: true; readonly providerId: string }
  | { readonly ok: false; readonly reason: string; readonly providerId?: string };

/**
 * A payment provider (a card processor). Both calls are made while the payment's row is locked,
 * which is right for an instant provider such as the simulated one. A real provider's call over
 * the network would instead mark the payment PROCESSING in one transaction, call the provider
 * with the payment id as its idempotency key, and settle in a second transaction (or on the
 * provider's webhook), so no row lock is held across a remote call.
 */
export type PaymentProvider = {
  /** The name stored on payments, e.g. "simulated". */
  readonly name: string;
  /** Takes `amount`; refusals are outcomes, not exceptions. Throws InvalidArgument for a bad token. */
  charge(request: {
    paymentId: string;
    amount: Cents;
    currency: string;
    token: string;
  }): Promise<ProviderOutcome>;
  /** Gives `amount` of an earlier charge back. */
  refund(request: {
    paymentId: string;
    refundId: string;
    chargeId: string;
    amount: Cents;
    currency: string;
  }): Promise<ProviderOutcome>;
};
