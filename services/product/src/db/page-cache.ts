/**
 * Product pages asked for again, kept with the row versions they were read at, so that a page
 * whose rows are unchanged is answered without reading, converting and encoding its products
 * again (half of ListProducts' CPU at the bench's 50-product pages). A kept page is never
 * trusted on its own: every answer first asks PostgreSQL which rows the page holds now and at
 * which version (see `listProducts`), and the kept copy is used only when that is exactly what it
 * was read from.
 */
export type PageCache<Page> = {
  /**
   * What to do for the page with this key: `kept` answers with `page` if the rows still have
   * `versions`; `keep` reads it and offers it with its versions (it was asked for before);
   * `read` just reads it (first time it is asked for, as far as the cache remembers).
   */
  plan(key: string): PagePlan<Page>;
  /** Keeps a page read after a `keep` plan (too large a page is not kept). */
  keep(key: string, versions: string, page: Page, size: number): void;
  /**
   * Drops a kept page found changed. Its next asks read it without keeping it (`readsAfterChange`
   * of them): a page that changes between most asks would pay for a check and a keep each time.
   */
  changed(key: string): void;
  /** What it has answered since it was made, and what it keeps now. */
  stats(): PageCacheStats;
};

export type PageCacheStats = {
  /** Pages planned: every ask. */
  readonly asked: number;
  /** Asks of a kept page, each checked against the rows' versions. */
  readonly checked: number;
  /** Of those, the ones that found a row changed (the page was read). */
  readonly changed: number;
  readonly products: number;
  readonly pages: number;
};

export type PagePlan<Page> =
  | { readonly kind: "kept"; readonly versions: string; readonly page: Page }
  | { readonly kind: "keep" }
  | { readonly kind: "read" };

export type PageCacheOptions = {
  /** Most products kept across all pages; 0 keeps none (every page is read). */
  readonly products: number;
  /**
   * Keys of pages asked for once that are remembered, so that a second ask keeps the page: a page
   * asked for once in a while never displaces a kept page, nor pays for its versions.
   */
  readonly remembered?: number;
  /** Asks of a page found changed that read it without keeping it (see `changed`). */
  readonly readsAfterChange?: number;
  /**
   * How long a kept page may be answered from before it is read again in full. It bounds what a
   * version cannot tell: a table rewrite that keeps row versions (a migration retyping a column)
   * and the reuse of transaction ids after 2^32 of them.
   */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
};

type Kept<Page> = {
  readonly versions: string;
  readonly page: Page;
  readonly size: number;
  readonly keptAt: number;
};

/**
 * Products kept by default: ~4 MB of the bench's products (4 050 of them on 81 pages of 50 took
 * 3.3 MB of heap for their rows and messages, and 0.8 MB of protobuf bytes).
 */
export const PAGE_CACHE_PRODUCTS = 4096;

const READ = { kind: "read" } as const;
const KEEP = { kind: "keep" } as const;

/** A least-recently-used PageCache; see PageCacheOptions for its bounds. */
export function createPageCache<Page>(options: PageCacheOptions): PageCache<Page> {
  const { products: capacity, remembered = 1024, readsAfterChange = 16 } = options;
  const { maxAgeMs = 600_000, now = Date.now } = options;
  const kept = new Map<string, Kept<Page>>();
  // Pages not kept that were asked for, by how many more asks read them before one keeps them.
  const asked = new Map<string, number>();
  let size = 0;
  let asks = 0;
  let checks = 0;
  let changes = 0;

  const forget = (key: string, entry: Kept<Page>) => {
    kept.delete(key);
    size -= entry.size;
  };
  const remember = (key: string, reads: number) => {
    asked.set(key, reads);
    if (asked.size > remembered) asked.delete(asked.keys().next().value as string);
  };

  return {
    plan(key) {
      asks++;
      if (capacity === 0) return READ;
      const entry = kept.get(key);
      if (entry !== undefined) {
        // Re-inserted, so that the map's order is least recently asked first.
        kept.delete(key);
        if (now() - entry.keptAt > maxAgeMs) {
          size -= entry.size;
          return KEEP;
        }
        kept.set(key, entry);
        checks++;
        return { kind: "kept", versions: entry.versions, page: entry.page };
      }
      const reads = asked.get(key);
      if (reads === undefined) remember(key, 0);
      else if (reads === 0) {
        asked.delete(key);
        return KEEP;
      } else asked.set(key, reads - 1);
      return READ;
    },

    keep(key, versions, page, pageSize) {
      if (capacity === 0 || pageSize > capacity) return;
      const old = kept.get(key);
      if (old !== undefined) forget(key, old);
      kept.set(key, { versions, page, size: pageSize, keptAt: now() });
      size += pageSize;
      for (const [oldest, entry] of kept) {
        if (size <= capacity) break;
        forget(oldest, entry);
      }
    },

    changed(key) {
      changes++;
      const entry = kept.get(key);
      if (entry !== undefined) forget(key, entry);
      remember(key, readsAfterChange);
    },

    stats: () => ({
      asked: asks,
      checked: checks,
      changed: changes,
      products: size,
      pages: kept.size,
    }),
  };
}
