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
   * What to do for the page with this key, of at most `size` products: `kept` answers with `page`
   * if the rows still have `versions`; `keep` reads it and offers it with its versions (it was
   * asked for before); `read` just reads it (as far as the cache remembers, the first ask).
   */
  plan(key: string, size: number): PagePlan<Page>;
  /** Keeps a page read after a `keep` plan, of `size` products (too large a page is not kept). */
  keep(key: string, versions: string, page: Page, size: number): void;
  /**
   * Drops a kept page found changed. Its next asks read it without keeping it (`readsAfterChange`
   * of them): a page that changes between most asks would pay for a check and a keep each time.
   */
  changed(key: string, size: number): void;
  /**
   * The versions the rows of the page with this key have now, as `probe` reads them. Asks of a key
   * while its probe runs share one next probe, sent when that one ends: every answer still comes
   * from a probe sent after it was asked (so no caller is answered with rows older than its ask,
   * nor misses its own write), and a page many callers ask for at once costs at most two probes
   * in flight instead of one per caller.
   */
  versionsNow(key: string, probe: VersionsProbe): Promise<string | null>;
  /** What it has answered since it was made, and what it keeps now. */
  stats(): PageCacheStats;
};

/** One read of a page's row versions (its "versions" statement); null when it has no rows. */
export type VersionsProbe = () => Promise<string | null>;

export type PageCacheStats = {
  /** Pages planned: every ask. */
  readonly asked: number;
  /** Asks of a kept page, each checked against the rows' versions. */
  readonly checked: number;
  /** Of those, the ones that found a row changed (the page was read). */
  readonly changed: number;
  /** Probes sent for those checks: fewer than `checked` when callers shared them. */
  readonly probes: number;
  readonly products: number;
  readonly pages: number;
};

export type PagePlan<Page> =
  | { readonly kind: "kept"; readonly versions: string; readonly page: Page }
  | { readonly kind: "keep" }
  | { readonly kind: "read" };

export type PageCacheOptions = {
  /**
   * Most products kept across all pages; 0 keeps none (every page is read). Pages asked for once
   * are remembered up to as many products again, so that their second ask keeps them: a page
   * asked again only after more other pages than the cache holds would be dropped before its
   * third ask, so it is not kept (nor read with its versions), and it never displaces a page
   * asked more often.
   */
  readonly products: number;
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
  const { products: capacity, readsAfterChange = 16 } = options;
  const { maxAgeMs = 600_000, now = Date.now } = options;
  const kept = new Map<string, Kept<Page>>();
  // Pages asked for and not kept: their size, and how many more asks read them before one keeps
  // them. Both maps are in least recently asked order.
  const asked = new Map<string, { size: number; reads: number }>();
  let keptSize = 0;
  let askedSize = 0;
  let asks = 0;
  let checks = 0;
  let changes = 0;
  let probes = 0;
  // Keys whose probe is running, with the asks that came since and wait for the next one.
  const flights = new Map<string, Flight>();

  const forget = (key: string, entry: Kept<Page>) => {
    kept.delete(key);
    keptSize -= entry.size;
  };
  const unask = (key: string, entry: { size: number }) => {
    asked.delete(key);
    askedSize -= entry.size;
  };
  const remember = (key: string, size: number, reads: number) => {
    asked.set(key, { size, reads });
    askedSize += size;
    for (const [oldest, entry] of asked) {
      if (askedSize <= capacity) break;
      unask(oldest, entry);
    }
  };

  const fly = (key: string, probe: VersionsProbe): Promise<string | null> => {
    const flight: Flight = {};
    flights.set(key, flight);
    probes++;
    let run: Promise<string | null>;
    try {
      run = probe();
    } catch (error) {
      run = Promise.reject(error);
    }
    const land = () => {
      flights.delete(key);
      const next = flight.following;
      if (next) next.settle(fly(key, next.probe));
    };
    run.then(land, land);
    return run;
  };

  return {
    plan(key, size) {
      asks++;
      if (capacity === 0) return READ;
      const entry = kept.get(key);
      if (entry !== undefined) {
        forget(key, entry);
        if (now() - entry.keptAt > maxAgeMs) return KEEP;
        // Put back last: the most recently asked.
        kept.set(key, entry);
        keptSize += entry.size;
        checks++;
        return { kind: "kept", versions: entry.versions, page: entry.page };
      }
      const seen = asked.get(key);
      if (seen === undefined) {
        remember(key, size, 0);
        return READ;
      }
      unask(key, seen);
      if (seen.reads === 0) return KEEP;
      remember(key, size, seen.reads - 1);
      return READ;
    },

    keep(key, versions, page, size) {
      if (capacity === 0 || size > capacity) return;
      const old = kept.get(key);
      if (old !== undefined) forget(key, old);
      kept.set(key, { versions, page, size, keptAt: now() });
      keptSize += size;
      for (const [oldest, entry] of kept) {
        if (keptSize <= capacity) break;
        forget(oldest, entry);
      }
    },

    changed(key, size) {
      changes++;
      const entry = kept.get(key);
      if (entry !== undefined) forget(key, entry);
      remember(key, size, readsAfterChange);
    },

    versionsNow(key, probe) {
      const flight = flights.get(key);
      if (flight === undefined) return fly(key, probe);
      flight.following ??= following(probe);
      return flight.following.answer;
    },

    stats: () => ({
      asked: asks,
      checked: checks,
      changed: changes,
      probes,
      products: keptSize,
      pages: kept.size,
    }),
  };
}

/** A key's running probe: the asks made since wait for the one after it. */
type Flight = { following?: Following };

/** Asks waiting for the probe after the running one: its answer, once `settle` sends it. */
type Following = {
  readonly probe: VersionsProbe;
  readonly answer: Promise<string | null>;
  readonly settle: (run: Promise<string | null>) => void;
};

function following(probe: VersionsProbe): Following {
  let settle!: (run: Promise<string | null>) => void;
  const answer = new Promise<string | null>((resolve) => {
    settle = resolve;
  });
  return { probe, answer, settle };
}
