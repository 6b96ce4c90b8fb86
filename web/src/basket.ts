import { Code, ConnectError } from "@connectrpc/connect";
import type { Basket, BasketItem } from "#gen/shop/basket/v1/basket_pb";
import { type Payment, PaymentStatus } from "#gen/shop/payment/v1/payment_pb";
import type { Product } from "#gen/shop/product/v1/product_pb";
import type { Api } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import { describeError } from "./errors.js";

export interface BasketDeps {
  readonly api: () => Api;
  readonly user: () => string | undefined;
  /** A payment reached its end (completed or declined): history and catalogue may change. */
  readonly settled: (payment: Payment) => void;
}

/**
 * The basket and checkout. Every change is one BasketService call whose answer is the whole
 * basket, shown as the server computed it: line subtotals and the total are the server's exact
 * decimal strings, never sums made in the browser. Checkout creates a payment from the basket
 * (with a fresh idempotency key, so a double click cannot pay twice) and processes it with the
 * chosen test token.
 */
export function createBasketView(deps: BasketDeps) {
  const lines = byId("basket-lines");
  const status = byId("basket-status");
  const checkout = byId<HTMLFormElement>("checkout");
  const pay = byId<HTMLButtonElement>("pay");
  const card = byId<HTMLSelectElement>("card");
  const result = byId("payment-result");
  const link = byId("to-basket");
  let shown: Basket | undefined;

  function render(basket: Basket | undefined) {
    shown = basket;
    const items = basket?.items ?? [];
    const count = items.reduce((sum, item) => sum + item.quantity, 0);
    link.textContent = count === 0 ? "Basket" : `Basket (${count})`;
    checkout.hidden = items.length === 0;
    if (items.length === 0) {
      lines.replaceChildren();
      return setStatus(status, "Your basket is empty.");
    }
    setStatus(status, "");
    pay.textContent = `Pay ${basket?.total}`;
    lines.replaceChildren(
      h(
        "table",
        { class: "lines" },
        h("caption", { class: "visually-hidden" }, "Basket lines"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Item"),
            h("th", { scope: "col" }, "Quantity"),
            h("th", { scope: "col", class: "num" }, "Subtotal"),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Remove")),
          ),
        ),
        h("tbody", {}, ...items.map(row)),
        h(
          "tfoot",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "row", colspan: 2 }, "Total"),
            h("td", { class: "num total", id: "basket-total" }, basket?.total ?? "0.00"),
            h("td", {}),
          ),
        ),
      ),
    );
  }

  function row(item: BasketItem): HTMLTableRowElement {
    const quantity = h("input", {
      type: "number",
      min: 1,
      max: 999,
      value: item.quantity,
      class: "quantity",
      "aria-label": `Quantity of ${item.name}`,
    });
    quantity.addEventListener("change", () => {
      const wanted = Number(quantity.value);
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > 999) {
        quantity.value = String(item.quantity);
        return setStatus(status, "Quantity: a whole number from 1 to 999.", "error");
      }
      void change((api, userId) =>
        api.baskets.updateItem({ userId, productId: item.productId, quantity: wanted }),
      );
    });
    const remove = h(
      "button",
      { type: "button", class: "link", "aria-label": `Remove ${item.name}` },
      "Remove",
    );
    remove.addEventListener("click", () =>
      change((api, userId) => api.baskets.removeItem({ userId, productId: item.productId })),
    );
    return h(
      "tr",
      { "data-product-id": String(item.productId) },
      h("td", {}, h("span", { class: "name" }, item.name), h("small", {}, ` at ${item.price}`)),
      h("td", {}, quantity),
      h("td", { class: "num" }, item.subtotal),
      h("td", {}, remove),
    );
  }

  /** Runs one basket call and shows its answer, or its error next to the unchanged basket. */
  async function change(call: (api: Api, userId: string) => Promise<{ basket?: Basket }>) {
    const userId = deps.user();
    if (!userId) return;
    lines.setAttribute("aria-busy", "true");
    try {
      render((await call(deps.api(), userId)).basket);
    } catch (error) {
      render(shown);
      setStatus(status, describeError(error), "error");
    } finally {
      lines.removeAttribute("aria-busy");
    }
  }

  async function refresh(options: { keepResult?: boolean } = {}) {
    const userId = deps.user();
    if (!options.keepResult) result.replaceChildren();
    if (!userId) {
      render(undefined);
      return setStatus(status, "Sign in to fill a basket.");
    }
    setStatus(status, "Loading your basket…");
    try {
      render((await deps.api().baskets.getBasket({ userId })).basket);
    } catch (error) {
      if (ConnectError.from(error).code === Code.NotFound) return render(undefined);
      setStatus(status, `Could not load your basket: ${describeError(error)}`, "error");
    }
  }

  async function add(product: Product) {
    await change((api, userId) =>
      api.baskets.addItem({ userId, productId: product.id, quantity: 1 }),
    );
  }

  checkout.addEventListener("submit", (event) => {
    event.preventDefault();
    void payBasket();
  });

  async function payBasket() {
    const userId = deps.user();
    if (!userId) return;
    pay.disabled = true;
    showResult("pending", "Paying…");
    try {
      const api = deps.api();
      const idempotencyKey = crypto.randomUUID();
      const created = await api.payments.createPayment({ userId, method: "card", idempotencyKey });
      const id = created.payment?.id ?? "";
      const { payment } = await api.payments.processPayment({ id, paymentToken: card.value });
      if (!payment) throw new Error("the shop answered without the payment");
      if (payment.status === PaymentStatus.COMPLETED) {
        showResult("ok", `Paid ${payment.amount} ${payment.currency}. Thank you!`);
        render(undefined);
        setStatus(status, "Paid. Your basket is emptied.");
      } else {
        const reason = payment.failureReason || "the card was refused";
        showResult("declined", `Payment declined: ${reason}. Nothing was charged.`);
        await refresh({ keepResult: true });
      }
      deps.settled(payment);
    } catch (error) {
      showResult("declined", `Payment failed: ${describeError(error)}`);
    } finally {
      pay.disabled = false;
    }
  }

  function showResult(kind: "pending" | "ok" | "declined", text: string) {
    result.replaceChildren(h("p", { class: `result ${kind}` }, text));
  }

  return { refresh, add };
}
