import { type Payment, PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import type { Api } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import { describeError } from "./errors.js";

export interface PaymentsDeps {
  readonly api: () => Api;
  readonly user: () => string | undefined;
}

const statusText: Record<PaymentStatus, [label: string, tone: string]> = {
  [PaymentStatus.UNSPECIFIED]: ["unknown", ""],
  [PaymentStatus.PENDING]: ["pending", "pending"],
  [PaymentStatus.COMPLETED]: ["paid", "ok"],
  [PaymentStatus.FAILED]: ["declined", "declined"],
  [PaymentStatus.CANCELLED]: ["cancelled", ""],
  [PaymentStatus.REFUNDED]: ["refunded", "refunded"],
  [PaymentStatus.EXPIRED]: ["expired", ""],
};

/** The shopper's past payments (ListUserPayments, newest first) with their refund state. */
export function createPaymentsView(deps: PaymentsDeps) {
  const list = byId<HTMLOListElement>("payment-list");
  const status = byId("payments-status");

  function entry(payment: Payment): HTMLLIElement {
    let [label, tone] = statusText[payment.status];
    const refunded = payment.refundedAmount && payment.refundedAmount !== "0.00";
    if (payment.status === PaymentStatus.COMPLETED && refunded) {
      [label, tone] = [`partly refunded (${payment.refundedAmount})`, "refunded"];
    }
    const when = payment.createdAt
      ? new Date(Number(payment.createdAt.seconds) * 1000).toLocaleString()
      : "";
    const count = payment.items.reduce((sum, item) => sum + item.quantity, 0);
    return h(
      "li",
      { class: "payment", "data-payment-id": payment.id },
      h("span", { class: "amount" }, `${payment.amount} ${payment.currency}`),
      h("span", { class: `badge ${tone}` }, label),
      h("span", { class: "detail" }, `${count} item${count === 1 ? "" : "s"} · ${when}`),
      payment.failureReason ? h("span", { class: "detail" }, payment.failureReason) : null,
    );
  }

  async function refresh() {
    const userId = deps.user();
    if (!userId) {
      list.replaceChildren();
      return setStatus(status, "Sign in to see your payments.");
    }
    list.setAttribute("aria-busy", "true");
    try {
      const { payments } = await deps.api().payments.listUserPayments({ userId, pageSize: 10 });
      list.replaceChildren(...payments.map(entry));
      setStatus(status, payments.length === 0 ? "No payments yet." : "");
    } catch (error) {
      setStatus(status, `Could not load your payments: ${describeError(error)}`, "error");
    } finally {
      list.removeAttribute("aria-busy");
    }
  }

  return { refresh };
}
