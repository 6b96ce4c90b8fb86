import { InvalidArgument } from "#shared/errors";
import type { PaymentProvider, ProviderOutcome } from "./payment-provider.js";

/** The test tokens the simulated provider knows and what each does. */
export const TEST_TOKENS: Readonly<Record<string, ProviderOutcome | "ok">> = {
  tok_visa: "ok",
  tok_chargeDeclined: { ok: false, reason: "card declined" },
  tok_insufficientFunds: { ok: false, reason: "insufficient funds" },
};

/**
 * A deterministic, instant provider for development, tests and demos: the outcome depends on the
 * token alone. References are derived from the payment and refund ids, so a repeated call gives
 * the same answer. Any other token is InvalidArgument listing the known ones (not a FAILED
 * payment: a typo in a demo should be told, and it changes nothing).
 */
export function createSimulatedProvider(): PaymentProvider {
  return {
    name: "simulated",
    async charge({ paymentId, token }) {
      const outcome = TEST_TOKENS[token];
      if (outcome === undefined) {
        throw new InvalidArgument(
          "payment_token",
          `unknown test token; the simulated provider knows ${Object.keys(TEST_TOKENS).join(", ")}`,
        );
      }
      if (outcome === "ok") return { ok: true, providerId: `sim_ch_${paymentId}` };
      return { ...outcome, providerId: `sim_ch_${paymentId}` };
    },
    async refund({ refundId }) {
      return { ok: true, providerId: `sim_re_${refundId}` };
    },
  };
}
