import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { buildWeb } from "#scripts/build-web";
import { stockOf } from "../../gateway/test/support/checkout.js";
import { type System, startSystem } from "../../gateway/test/support/system.js";
import { launchChromium, screenshot } from "./support/browser.js";
import { type StaticServer, startStaticServer } from "./support/static-server.js";

// The storefront in headless Chromium against the whole system: the current web/ sources built
// with esbuild and served by a real gateway, real product, basket, payment and notification
// services, PostgreSQL, Redis, MariaDB and Kafka. The page talks to nothing but the gateway.
let system: System;
let browser: Browser;
let elsewhere: StaticServer;
/** The build that calls the gateway from another origin (the same-origin build is served by it). */
let otherRoot: string;
const dirs: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  let root: string;
  [root, otherRoot] = await Promise.all([tempDir(), tempDir()]);
  await buildWeb({ outDir: root });
  // A page hosted on another origin, allowed by the gateway's CORS list, built to call the
  // gateway (whose address is known only once it runs).
  elsewhere = await startStaticServer(otherRoot);
  system = await startSystem({
    name: "web",
    web: { root, allowedOrigins: [elsewhere.origin] },
  });
  await buildWeb({ outDir: otherRoot, apiOrigin: system.base });
  browser = await launchChromium();
}, 120_000);
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});
afterAll(async () => {
  await browser?.close();
  await system?.close();
  await elsewhere?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), "storefront-"));
  dirs.push(dir);
  return dir;
}

const settled = { timeout: 30_000, interval: 100 };
type Transport = "connect" | "grpc-web";

/** Fresh products in a category of their own; each name contains `word`, for searching. */
async function seed(lines: readonly { name: string; price: string; stock: number }[]) {
  const word = `w${randomUUID().slice(0, 8)}`;
  const category = `web-${word}`;
  const admin = system.as("shop-admin", { admin: true });
  const ids: string[] = [];
  for (const line of lines) {
    const created = await admin.rest("POST", "/products", {
      name: `${line.name} ${word}`,
      description: `A ${line.name.toLowerCase()} for the browser tests`,
      price: line.price,
      stock_quantity: line.stock,
      category,
    });
    if (created.status !== 201) throw new Error(`POST /products: ${JSON.stringify(created)}`);
    ids.push(created.json.id as string);
  }
  return { word, category, ids };
}

/**
 * Opens the shop, records the RPCs the page sends (content type by path) and picks a transport.
 * With `clock`, the page runs on Playwright's clock (time flows until a test moves it on).
 */
async function openShop(transport: Transport, origin = system.base, { clock = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  if (clock) await page.clock.install();
  const requests: { path: string; origin: string; type: string }[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    requests.push({
      path: url.pathname,
      origin: url.origin,
      type: request.headers()["content-type"] ?? "",
    });
  });
  await page.goto(`${origin}/`);
  await page.locator("body[data-ready]").waitFor();
  if (transport === "grpc-web") {
    // Everything the first load sent went out over Connect (the default); count from here.
    requests.length = 0;
    await page.getByLabel("gRPC-Web").check();
  }
  await page.getByText(`Talking ${transport === "connect" ? "Connect" : "gRPC-Web"} to`).waitFor();
  return { page, requests };
}

async function signIn(page: Page, user: string) {
  await page.getByLabel("Your name").fill(user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(`Signed in as ${user}`).waitFor();
}

/** Searches for `word` and waits until the list shows exactly the `count` products named so. */
async function search(page: Page, word: string, count: number) {
  await page.getByLabel("Search").fill(word);
  await page.getByRole("button", { name: "Show" }).click();
  await vi.waitFor(async () => {
    const names = await page.locator("#products li h3").allTextContents();
    expect(names.length).toBe(count);
    for (const name of names) expect(name).toContain(word);
  }, settled);
}

/** Waits until `locator`'s text is `text` (trimmed). */
async function textIs(locator: Locator, text: string) {
  await vi.waitFor(async () => expect((await locator.textContent())?.trim()).toBe(text), settled);
}

function card(page: Page, name: string) {
  return page.locator("#products li", { hasText: name });
}

/** The focused element as the keyboard test sees it (runs in the page, hence a string). */
type Focus = { id: string; text: string; label: string; outline: string };
const FOCUSED = `(() => {
  const element = document.activeElement;
  return {
    id: element?.id ?? "",
    text: element?.textContent?.trim() ?? "",
    label: element?.getAttribute("aria-label") ?? "",
    outline: element ? getComputedStyle(element).outlineStyle : "none",
  };
})()`;

function user() {
  return `shopper-${randomUUID().slice(0, 8)}`;
}

// A browser flow takes 5-20 s on a quiet machine; the whole suite runs beside it on 2 cores.
describe("the storefront in headless Chromium", { timeout: 120_000 }, () => {
  for (const transport of ["connect", "grpc-web"] as const) {
    it(`buys over ${transport}: search, add, change, remove, exact total, pay, live notification, history`, async () => {
      const { word, ids } = await seed([
        { name: "Espresso cup", price: "19.99", stock: 10 },
        { name: "Sugar cube", price: "0.10", stock: 50 },
        { name: "Spoon", price: "0.20", stock: 5 },
      ]);
      const { page, requests } = await openShop(transport);
      const shopper = user();
      await signIn(page, shopper);
      await page.locator("#live.on").waitFor();
      await textIs(page.locator("#notifications-status"), "No notifications yet.");

      await search(page, word, 3);
      await card(page, "Espresso cup").getByRole("button", { name: /Add/ }).click();
      await textIs(page.locator("#basket-total"), "19.99");
      await card(page, "Sugar cube").getByRole("button", { name: /Add/ }).click();
      await card(page, "Spoon").getByRole("button", { name: /Add/ }).click();
      // 19.99 + 0.10 + 0.20: in binary floating point 0.1 + 0.2 is not 0.3; the server's is exact.
      await textIs(page.locator("#basket-total"), "20.29");
      await page.getByLabel(`Quantity of Espresso cup ${word}`).fill("3");
      await page.getByLabel(`Quantity of Espresso cup ${word}`).press("Tab");
      await textIs(page.locator("#basket-total"), "60.27");
      await page.getByRole("button", { name: `Remove Spoon ${word}` }).click();
      await textIs(page.locator("#basket-total"), "60.07");
      await expect(page.locator("#basket tbody tr").count()).resolves.toBe(2);

      await page.getByLabel("Card (test token)").selectOption("tok_visa");
      await page.getByRole("button", { name: "Pay 60.07" }).click();
      await textIs(page.locator("#payment-result"), "Paid 60.07 USD. Thank you!");
      // The page never reloaded: the notification came through WatchNotifications.
      await page
        .locator("#notification-list li", { hasText: "Payment of 60.07 USD completed" })
        .waitFor();
      await page.locator("#payment-list li", { hasText: "60.07 USD" }).getByText("paid").waitFor();
      await vi.waitFor(async () => {
        expect(await stockOf(system, ids[0] as string)).toBe(7);
        expect(await stockOf(system, ids[1] as string)).toBe(49);
        expect(await stockOf(system, ids[2] as string)).toBe(5);
      }, settled);
      await screenshot(page, `purchase-${transport}`);

      // Every call went to the gateway's origin, in the chosen protocol, none to a REST path.
      const rpcs = requests.filter((request) => request.path.startsWith("/shop."));
      expect(rpcs.length).toBeGreaterThan(8);
      const types = new Set(rpcs.map((request) => request.type));
      expect([...types].sort()).toEqual(
        transport === "connect"
          ? ["application/connect+json", "application/json"]
          : ["application/grpc-web+proto"],
      );
      for (const request of requests) {
        expect(request.origin).toBe(system.base);
        expect(request.path).toMatch(/^\/($|assets\/|dev\/token$|shop\.)/);
      }
    });
  }

  it("shows a decline plainly, charges nothing and keeps the basket", async () => {
    const { word, ids } = await seed([{ name: "Teapot", price: "24.00", stock: 3 }]);
    const { page } = await openShop("connect");
    await signIn(page, user());
    await page.locator("#live.on").waitFor();
    await search(page, word, 1);
    await card(page, "Teapot").getByRole("button", { name: /Add/ }).click();
    await textIs(page.locator("#basket-total"), "24.00");
    // On a phone the basket is below the products; the header links to it, with the count.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Basket (1)" }).click();
    await vi.waitFor(async () => expect(await page.locator("#basket").isVisible()).toBe(true));
    await vi.waitFor(async () =>
      expect(await page.evaluate<string>("document.activeElement.id")).toBe("basket"),
    );
    // Nothing sticks out sideways at phone width.
    expect(
      await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth"),
    ).toBe(true);
    await screenshot(page, "phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByLabel("Card (test token)").selectOption("tok_chargeDeclined");
    await page.getByRole("button", { name: "Pay 24.00" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "declined" });
    await textIs(alert, "Payment declined: card declined. Nothing was charged.");
    await textIs(page.locator("#basket-total"), "24.00");
    await page
      .locator("#payment-list li", { hasText: "24.00 USD" })
      .getByText("declined", { exact: true })
      .waitFor();
    await page
      .locator("#notification-list li", { hasText: "Payment of 24.00 USD failed: card declined" })
      .waitFor();
    expect(await stockOf(system, ids[0] as string)).toBe(3);
    await screenshot(page, "declined");

    // The same basket can still be paid with another card.
    await page.getByLabel("Card (test token)").selectOption("tok_insufficientFunds");
    await page.getByRole("button", { name: "Pay 24.00" }).click();
    await textIs(alert, "Payment declined: insufficient funds. Nothing was charged.");
  });

  it("hears of a refund made elsewhere live, and shows it in the history", async () => {
    const { word } = await seed([{ name: "Kettle", price: "33.33", stock: 4 }]);
    const { page } = await openShop("grpc-web");
    const shopper = user();
    await signIn(page, shopper);
    await page.locator("#live.on").waitFor();
    await search(page, word, 1);
    await card(page, "Kettle").getByRole("button", { name: /Add/ }).click();
    await page.getByRole("button", { name: "Pay 33.33" }).click();
    const paid = page.locator("#payment-list li", { hasText: "33.33 USD" });
    await paid.getByText("paid").waitFor();
    const paymentId = await paid.getAttribute("data-payment-id");

    // The shop refunds part of it from the back office; the open page hears of it by itself.
    const admin = system.as("shop-admin", { admin: true });
    const refund = (amount: string) =>
      admin.rest("POST", `/payments/${paymentId}/refund`, { amount, reason: "chipped" });
    expect((await refund("3.33")).status).toBe(200);
    await page.locator("#notification-list li", { hasText: "Refund of 3.33 USD issued" }).waitFor();
    await paid.getByText("partly refunded (3.33)").waitFor();
    expect((await refund("30.00")).status).toBe(200);
    await page
      .locator("#notification-list li", {
        hasText: "Refund of 30.00 USD issued; your payment is fully refunded",
      })
      .waitFor();
    await paid.getByText("refunded", { exact: true }).waitFor();
    await screenshot(page, "refunded");
  });

  it("browses: filter by category and price, sort, page forward and back, empty and error states", async () => {
    const prices = ["1.00", "2.00", "3.00", "4.00", "5.00", "6.00", "7.00", "8.00", "9.00"];
    const names = [...prices, "10.00", "11.00", "12.00", "13.00", "14.00"].map((p) => `Item ${p}`);
    const { category } = await seed(
      names.map((name, i) => ({ name, price: `${i + 1}.00`, stock: 5 })),
    );
    const { page } = await openShop("connect");
    // Anonymous shoppers may browse; adding needs a sign-in.
    await page.getByLabel("Category").selectOption(category);
    await page.getByLabel("Sort").selectOption("price_desc");
    await page.getByRole("button", { name: "Show" }).click();
    // The filtered page answered, not just the unfiltered one the page opened with (both can
    // show the same twelve products; only their cursors differ).
    await page.locator("#products:not([aria-busy])").waitFor();
    await vi.waitFor(
      async () => expect(await page.locator("#products li").count()).toBe(12),
      settled,
    );
    await expect(page.locator("#products li h3").first().textContent()).resolves.toMatch(
      /^Item 14\.00/,
    );
    await expect(page.locator("#products li .add").first().isDisabled()).resolves.toBe(true);
    await page.getByRole("button", { name: "Next" }).click();
    await textIs(page.locator("#page"), "Page 2");
    await vi.waitFor(
      async () => expect(await page.locator("#products li").count()).toBe(2),
      settled,
    );
    await expect(page.locator("#products li h3").first().textContent()).resolves.toMatch(
      /^Item 2\.00/,
    );
    await expect(page.getByRole("button", { name: "Next" }).isDisabled()).resolves.toBe(true);
    await page.getByRole("button", { name: "Previous" }).click();
    await textIs(page.locator("#page"), "Page 1");

    await page.getByLabel("Min price").fill("3.50");
    await page.getByLabel("Max price").fill("6");
    await page.getByLabel("Sort").selectOption("price_asc");
    await page.getByRole("button", { name: "Show" }).click();
    await vi.waitFor(async () => {
      const shown = await page.locator("#products li h3").allTextContents();
      expect(shown.map((name) => name.split(" ")[1])).toEqual(["4.00", "5.00", "6.00"]);
    }, settled);

    await page.getByLabel("Min price").fill("cheap");
    await page.getByRole("button", { name: "Show" }).click();
    await textIs(page.locator("#catalogue-status"), "Min price: enter an amount like 12.50.");
    await page.getByLabel("Min price").fill("");
    await page.getByLabel("Search").fill(`nothing-${randomUUID()}`);
    await page.getByRole("button", { name: "Show" }).click();
    await textIs(
      page.locator("#catalogue-status"),
      "No products match. Try another search or category.",
    );
    await screenshot(page, "browse-empty");
  });

  it("works by keyboard alone, with a visible focus", async () => {
    const { word } = await seed([{ name: "Mug", price: "7.50", stock: 2 }]);
    const { page } = await openShop("connect");
    const focused = () => page.evaluate<Focus>(FOCUSED);
    /** Presses Tab until `wanted` holds for the focused element (at most 20 times). */
    const tabTo = async (wanted: (focus: Focus) => boolean) => {
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press("Tab");
        if (wanted(await focused())) return focused();
      }
      throw new Error(`Tab never reached the element; last: ${JSON.stringify(await focused())}`);
    };

    expect((await tabTo((f) => f.text === "Skip to products")).outline).not.toBe("none");
    await tabTo((f) => f.id === "user");
    const shopper = user();
    await page.keyboard.type(shopper);
    await page.keyboard.press("Enter");
    await page.getByText(`Signed in as ${shopper}`).waitFor();
    // Signing in moves the focus to the search field.
    await vi.waitFor(async () => expect((await focused()).id).toBe("query"), settled);
    await page.keyboard.type(word);
    await page.keyboard.press("Enter");
    await page.locator("#products li", { hasText: `Mug ${word}` }).waitFor();
    const add = await tabTo((f) => f.label === `Add Mug ${word} to basket`);
    expect(add.outline).not.toBe("none");
    await page.keyboard.press("Enter");
    await textIs(page.locator("#basket-total"), "7.50");
    await tabTo((f) => f.label === `Quantity of Mug ${word}`);
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Tab");
    await textIs(page.locator("#basket-total"), "15.00");
    await tabTo((f) => f.id === "pay");
    await page.keyboard.press("Enter");
    await textIs(page.locator("#payment-result"), "Paid 15.00 USD. Thank you!");
    await screenshot(page, "keyboard");
  });

  it("works from another origin through the gateway's CORS allow-list", async () => {
    const { word } = await seed([{ name: "Tray", price: "12.00", stock: 4 }]);
    const { page, requests } = await openShop("grpc-web", elsewhere.origin);
    await signIn(page, user());
    await search(page, word, 1);
    await card(page, "Tray").getByRole("button", { name: /Add/ }).click();
    await textIs(page.locator("#basket-total"), "12.00");
    const calls = requests.filter((request) => request.path.startsWith("/shop."));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.origin).toBe(system.base);
    await textIs(
      page.locator("#footer"),
      `Talking gRPC-Web to ${system.base} · test cards: tok_visa pays, tok_chargeDeclined and tok_insufficientFunds are declined`,
    );
  });

  it("signs out a page left open when the sign-in expires, and says so", async () => {
    const { page } = await openShop("connect", system.base, { clock: true });
    await signIn(page, user());
    await page.locator("#live.on").waitFor();
    // The dev sign-in's tokens last 8 h; the page lets go of one a minute before it expires.
    await page.clock.fastForward("07:58:00");
    await page.getByText("Signed in as").waitFor();
    await page.clock.fastForward("01:30");
    await textIs(
      page.locator("#sign-in-status"),
      "Your sign-in has expired. Please sign in again.",
    );
    await page.getByLabel("Your name").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("signs out when the gateway refuses the token, and says so", async () => {
    const { page } = await openShop("grpc-web");
    await signIn(page, user());
    // As after a change of the gateway's signing key: the page still holds a token, not valid now.
    await page.evaluate(() => {
      const key = "connect-shop.session";
      const saved = JSON.parse(sessionStorage.getItem(key) ?? "{}");
      sessionStorage.setItem(key, JSON.stringify({ ...saved, token: `${saved.token}x` }));
    });
    await page.reload();
    await textIs(
      page.locator("#sign-in-status"),
      "Your sign-in has expired. Please sign in again.",
    );
    await page.getByLabel("Your name").waitFor();
    expect(await page.locator("#signed-in").count()).toBe(0);
  });

  it("refuses an origin that is not on the list, and says so", async () => {
    // The build made to call the gateway, served from an origin the gateway does not allow.
    const stranger = await startStaticServer(otherRoot);
    try {
      const { page } = await openShop("connect", stranger.origin);
      await textIs(
        page.locator("#catalogue-status"),
        "Could not load products: The shop could not be reached from this page (offline, or this origin is not allowed).",
      );
      await page.getByLabel("Your name").fill(user());
      await page.getByRole("button", { name: "Sign in" }).click();
      await textIs(
        page.locator("#sign-in-status"),
        "The shop could not be reached from this page (offline, or this origin is not allowed).",
      );
    } finally {
      await stranger.close();
    }
  });
});
