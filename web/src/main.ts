import {
  type Api,
  type Credentials,
  createApi,
  type TransportKind,
  transportNames,
} from "./api.js";
import { createBasketView } from "./basket.js";
import { createCatalogue } from "./catalogue.js";
import { byId, h, setStatus } from "./dom.js";
import { createNotificationsView } from "./notifications.js";
import { createPaymentsView } from "./payments.js";
import { forgetSession, restoreSession, type Session, signIn, validFor } from "./session.js";

/**
 * The storefront's composition: one API (clients over the chosen transport), the session, and
 * the views, which talk to each other only through the callbacks wired here.
 */
const apiBase =
  document.querySelector<HTMLMetaElement>('meta[name="connect-shop-api"]')?.content ||
  location.origin;
const TRANSPORT_KEY = "connect-shop.transport";

const EXPIRED = "Your sign-in has expired. Please sign in again.";

let session: Session | undefined;
let sessionEnds: ReturnType<typeof setTimeout> | undefined;
/** What the sign-in form says when it comes back on its own. */
let signedOutBecause = "";
const credentials: Credentials = {
  token: () => session?.token,
  refused: (token) => {
    if (session?.token === token) endSession(EXPIRED);
  },
};
let api: Api = createApi(savedTransport(), apiBase, credentials);

const user = () => session?.user;
const payments = createPaymentsView({ api: () => api, user });
const catalogue = createCatalogue({
  api: () => api,
  signedIn: () => session !== undefined,
  add: (product) => basket.add(product),
});
const basket = createBasketView({
  api: () => api,
  user,
  settled: () => {
    void payments.refresh();
    void catalogue.load();
  },
});
const notifications = createNotificationsView({
  api: () => api,
  user,
  // A payment event changed something the page shows: the history, and after a completed
  // payment the basket (emptied by the shop) and the stock.
  arrived: () => {
    void payments.refresh();
    void basket.refresh({ keepResult: true });
    void catalogue.load();
  },
});

function savedTransport(): TransportKind {
  return localStorage.getItem(TRANSPORT_KEY) === "grpc-web" ? "grpc-web" : "connect";
}

/** Signs in as `next`, until its token is about to expire (a page left open signs out then). */
function startSession(next: Session) {
  clearTimeout(sessionEnds);
  session = next;
  signedOutBecause = "";
  // setTimeout holds at most 2^31 − 1 ms (24.8 days); a longer-lived token is checked again then.
  const check = () => (validFor(next) > 0 ? startSession(next) : endSession(EXPIRED));
  sessionEnds = setTimeout(check, Math.min(validFor(next), 2 ** 31 - 1));
}

/** Signs out, saying `because` in the sign-in form, and redraws. */
function endSession(because = "") {
  clearTimeout(sessionEnds);
  forgetSession();
  session = undefined;
  signedOutBecause = because;
  void everything();
}

function renderAccount() {
  const account = byId("account");
  if (session) {
    const out = h("button", { type: "button", class: "link" }, "Sign out");
    out.addEventListener("click", () => endSession());
    account.replaceChildren(h("span", { id: "signed-in" }, `Signed in as ${session.user}`), out);
    return;
  }
  const name = h("input", {
    id: "user",
    name: "user",
    autocomplete: "username",
    required: true,
    maxlength: 64,
    pattern: "[A-Za-z0-9][A-Za-z0-9._@\\-]*",
    title: "Letters, digits, dot, underscore, @ or -",
  });
  const message = h("p", { id: "sign-in-status", class: "status", role: "alert", hidden: true });
  const form = h(
    "form",
    { id: "sign-in", class: "sign-in", "aria-label": "Sign in" },
    h("label", { for: "user" }, "Your name"),
    name,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    message,
  );
  if (signedOutBecause) setStatus(message, signedOutBecause, "error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setStatus(message, "Signing in…");
    try {
      startSession(await signIn(apiBase, name.value.trim()));
      await everything();
      byId("query").focus();
    } catch (error) {
      setStatus(message, (error as Error).message, "error");
    }
  });
  account.replaceChildren(form);
}

function renderFooter() {
  byId("footer").textContent =
    `Talking ${transportNames[api.kind]} to ${apiBase} · test cards: tok_visa pays, tok_chargeDeclined and tok_insufficientFunds are declined`;
}

/** Redraws everything that depends on who is signed in or on the transport. */
async function everything() {
  renderAccount();
  renderFooter();
  void notifications.restart();
  await Promise.all([catalogue.load(), basket.refresh(), payments.refresh()]);
}

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="transport"]')) {
  radio.checked = radio.value === api.kind;
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    const kind = radio.value === "grpc-web" ? "grpc-web" : "connect";
    localStorage.setItem(TRANSPORT_KEY, kind);
    api = createApi(kind, apiBase, credentials);
    void everything();
  });
}

const restored = restoreSession();
if (restored) startSession(restored);
void catalogue.loadCategories();
void everything().then(() => document.body.setAttribute("data-ready", "true"));
