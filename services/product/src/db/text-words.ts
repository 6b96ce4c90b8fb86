import type { ProductSql } from "./connection.js";

/** What a text query is matched against, and what the trigram index is built on (schema.ts). */
export const PRODUCT_TEXT = `(name || E'\\n' || description)`;

/** A word shorter than a trigram has none to look up in the index. */
const MIN_WORD_LENGTH = 3;
/** Estimates kept, and for how long: they follow the catalogue's statistics only loosely. */
const KEPT_WORDS = 1_000;
const KEPT_MS = 10 * 60_000;

/**
 * The word of a text query the trigram index should look for, or undefined to look for the whole
 * text. The index finds rows holding every trigram of what it is given, and for each row that
 * its rarest trigrams find it reads the lists of all the others: a word that most products hold
 * ("product", "cotton") costs a read of its trigrams' long lists for every candidate. At 1 M bench
 * products, "product 4242" took 45–48 ms of 2 110 buffers this way, and "4242" alone 4–6 ms of
 * 226, with the whole text then checked on the 300 rows it found. So for a text of two or more
 * words of at least three characters, the page's SELECT looks up the word PostgreSQL estimates
 * the fewest products hold (its planner's row estimate for that word alone, from the statistics
 * of the index's expression), and checks the whole text on each row found, which gives the same
 * rows: each row holding the text holds each of its words.
 */
export type TextWords = (text: string) => Promise<string | undefined>;

/** Word estimates asked of `sql`'s PostgreSQL and kept a while (see `KEPT_MS`). */
export function createTextWords(sql: ProductSql): TextWords {
  const kept = new Map<string, { rows: number; until: number }>();
  const estimate = async (word: string) => {
    const now = Date.now();
    const known = kept.get(word);
    if (known && known.until > now) return known.rows;
    const [row] = await sql.unsafe(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM products WHERE ${PRODUCT_TEXT} ILIKE $1`,
      [`%${escapeLike(word)}%`],
    );
    const [plan] = (row?.["QUERY PLAN"] ?? []) as { Plan: { "Plan Rows": number } }[];
    const rows = plan?.Plan["Plan Rows"] ?? Number.POSITIVE_INFINITY;
    if (kept.size >= KEPT_WORDS) kept.clear();
    kept.set(word, { rows, until: now + KEPT_MS });
    return rows;
  };
  return async (text) => {
    const words = lookupWords(text);
    if (words.length < 2) return undefined;
    return rarestWord(words, await Promise.all(words.map(estimate)));
  };
}

/**
 * The distinct words of a text query that the index can look up; none for a text with a line
 * break, which is matched across the name and the description (see `textPattern`).
 */
export function lookupWords(text: string): string[] {
  if (text.includes("\n")) return [];
  const words = text.split(/\s+/).filter((word) => word.length >= MIN_WORD_LENGTH);
  return [...new Set(words)];
}

/** The word of the fewest estimated rows; of those, the longest (more trigrams to narrow by). */
export function rarestWord(words: readonly string[], rows: readonly number[]): string | undefined {
  let best: string | undefined;
  let bestRows = Number.POSITIVE_INFINITY;
  for (const [i, word] of words.entries()) {
    const estimate = rows[i] ?? Number.POSITIVE_INFINITY;
    const rarer =
      estimate < bestRows || (estimate === bestRows && word.length > (best?.length ?? 0));
    if (best === undefined || rarer) {
      best = word;
      bestRows = estimate;
    }
  }
  return best;
}

/** Makes user text match literally inside LIKE: `\`, `%` and `_` lose their meaning. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
