import type { Product } from "#gen/shop/product/v1/product_pb";
import type { Api } from "./api.js";
import { byId, h, setStatus } from "./dom.js";
import { describeError, isAbort } from "./errors.js";

const PAGE_SIZE = 12;
const decimal = /^\d{1,10}(\.\d{1,2})?$/;

export interface CatalogueDeps {
  readonly api: () => Api;
  /** Whether adding to a basket is possible (someone is signed in). */
  readonly signedIn: () => boolean;
  /** Adds one of `product` to the basket; rejects with a message for the shopper. */
  readonly add: (product: Product) => Promise<void>;
}

/**
 * The product list: search, category, price range and sort go to ListProducts as they are; pages
 * follow the server's cursor (`next_page_token`), and Previous goes back along the tokens seen.
 */
export function createCatalogue(deps: CatalogueDeps) {
  const form = byId<HTMLFormElement>("filters");
  const list = byId<HTMLUListElement>("products");
  const status = byId("catalogue-status");
  const previous = byId<HTMLButtonElement>("previous");
  const next = byId<HTMLButtonElement>("next");
  const pageLabel = byId("page");
  const category = byId<HTMLSelectElement>("category");
  /** tokens[i] fetches page i + 1; tokens[0] is "". */
  let tokens: string[] = [""];
  let page = 0;
  let nextToken = "";
  let inFlight: AbortController | undefined;

  async function load() {
    const filters = readFilters();
    if (typeof filters === "string") return setStatus(status, filters, "error");
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    list.setAttribute("aria-busy", "true");
    // The cursor of the list on screen does not fit the filters being loaded: no paging until
    // this load answers.
    previous.disabled = true;
    next.disabled = true;
    setStatus(status, "Loading products…");
    try {
      const response = await deps
        .api()
        .products.listProducts(
          { ...filters, pageSize: PAGE_SIZE, pageToken: tokens[page] ?? "" },
          { signal: controller.signal },
        );
      nextToken = response.nextPageToken;
      list.replaceChildren(...response.products.map(card));
      const empty = response.products.length === 0;
      setStatus(status, empty ? "No products match. Try another search or category." : "");
    } catch (error) {
      if (isAbort(error)) return;
      list.replaceChildren();
      nextToken = "";
      setStatus(status, `Could not load products: ${describeError(error)}`, "error");
    } finally {
      // A load that a newer one aborted leaves the pager to it.
      if (inFlight === controller) {
        list.removeAttribute("aria-busy");
        pager();
      }
    }
  }

  function readFilters() {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const [min, max] = [text("min"), text("max")];
    if (min && !decimal.test(min)) return "Min price: enter an amount like 12.50.";
    if (max && !decimal.test(max)) return "Max price: enter an amount like 12.50.";
    return {
      query: text("query"),
      category: text("category"),
      sort: text("sort"),
      ...(min && { minPrice: min }),
      ...(max && { maxPrice: max }),
    };
  }

  function pager() {
    previous.disabled = page === 0;
    next.disabled = nextToken === "";
    pageLabel.textContent = `Page ${page + 1}`;
  }

  function card(product: Product): HTMLLIElement {
    const soldOut = product.stockQuantity <= 0;
    const button = h(
      "button",
      {
        type: "button",
        class: "add",
        disabled: soldOut || !deps.signedIn(),
        "aria-label": `Add ${product.name} to basket`,
        title: deps.signedIn() ? undefined : "Sign in to shop",
      },
      soldOut ? "Sold out" : "Add to basket",
    );
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await deps.add(product);
      } finally {
        button.disabled = false;
      }
    });
    const picture = product.imageUrl.startsWith("https://")
      ? h("img", { src: product.imageUrl, alt: "", loading: "lazy", class: "thumb" })
      : h("div", { class: "thumb", "aria-hidden": "true" }, (product.name[0] ?? "?").toUpperCase());
    return h(
      "li",
      { class: "card", "data-product-id": String(product.id) },
      picture,
      h("h3", {}, product.name),
      h(
        "p",
        { class: "meta" },
        `${product.category || "uncategorised"} · ${product.stockQuantity} in stock`,
      ),
      product.description ? h("p", { class: "description" }, product.description) : null,
      h("p", { class: "price" }, product.price),
      button,
    );
  }

  async function loadCategories() {
    try {
      const { categories } = await deps.api().products.listCategories({});
      const chosen = category.value;
      category.replaceChildren(
        h("option", { value: "" }, "All"),
        ...categories.map((c) =>
          h("option", { value: c.name }, `${c.name || "uncategorised"} (${c.productCount})`),
        ),
      );
      category.value = chosen;
    } catch {
      // The list still works without the category menu; the product status reports failures.
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    tokens = [""];
    page = 0;
    void load();
  });
  previous.addEventListener("click", () => {
    page = Math.max(0, page - 1);
    void load();
  });
  next.addEventListener("click", () => {
    tokens[page + 1] = nextToken;
    page += 1;
    void load();
  });
  return { load, loadCategories };
}
