import { Counter, Gauge, type Registry } from "prom-client";
import type { PageCache } from "./page-cache.js";

/**
 * The page cache's answers and size on `registry`, read from its counts when scraped (nothing on
 * the list's path): `shop_product_list_pages_total` by answer (`kept`: the kept page, unchanged;
 * `changed`: checked and found changed, then read; `read`: read without a kept page) and
 * `shop_product_page_cache_products`. Their ratio tells whether PAGE_CACHE_PRODUCTS fits the
 * pages callers ask for again.
 */
export function registerPageCacheMetrics(
  registry: Registry,
  cache: PageCache<unknown>,
  prefix = "shop_",
): void {
  const reported = { kept: 0, changed: 0, read: 0 };
  new Counter({
    name: `${prefix}product_list_pages_total`,
    help: "ListProducts pages answered, by answer: kept (unchanged, from the page cache), changed (checked, then read), read.",
    labelNames: ["answer"],
    registers: [registry],
    collect() {
      const { asked, checked, changed } = cache.stats();
      const now = { kept: checked - changed, changed, read: asked - checked };
      for (const answer of ["kept", "changed", "read"] as const) {
        this.inc({ answer }, now[answer] - reported[answer]);
        reported[answer] = now[answer];
      }
    },
  });
  new Gauge({
    name: `${prefix}product_page_cache_products`,
    help: "Products the page cache keeps now, across its pages (at most PAGE_CACHE_PRODUCTS).",
    registers: [registry],
    collect() {
      this.set(cache.stats().products);
    },
  });
}
