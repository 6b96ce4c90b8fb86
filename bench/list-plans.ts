/**
 * How PostgreSQL runs every ListProducts shape on a bench catalogue: each sort with each set of
 * filters (category, text query, price band, low stock), first page and the page after it, as
 * `EXPLAIN (ANALYZE, BUFFERS)` of exactly the SELECT the service sends (`pageStatement`).
 *
 *   node dist/bench/list-plans.js [--products 1000000] [--query "product 4242"] [--slow MS]
 *
 * Prints one line per case: execution ms (the faster of two runs, so caches are warm), shared
 * buffers touched, and the plan's scan nodes with their indexes; cases slower than `--slow`
 * (default 5 ms) are marked. Reads only; the catalogue must exist (seeded by `bench/run.ts`).
 */
import { parseArgs } from "node:util";
import { connectProductDatabase } from "../services/product/src/db/connection.js";
import { listProducts, pageStatement } from "../services/product/src/db/list-products.js";
import { createTextWords } from "../services/product/src/db/text-words.js";
import {
  type ListProductsInput,
  PRODUCT_SORTS,
  parseListProductsQuery,
} from "../services/product/src/domain/list-query.js";
import { benchDatabase, catalogueDatabaseName, PRODUCT_COUNT } from "./lib/fixture.js";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: String(PRODUCT_COUNT) },
    query: { type: "string", default: "product 4242" },
    slow: { type: "string", default: "5" },
  },
});
process.env.PRODUCT_BENCH_DB_NAME = catalogueDatabaseName(Number(values.products));
const slowMs = Number(values.slow);

/** One value per filter; every subset of them is a case. */
const FILTERS: Record<string, ListProductsInput> = {
  category: { category: "category-7" },
  query: { query: values.query },
  price: { minPrice: "10.00", maxPrice: "50.00" },
  lowStock: { maxStock: 5 },
};

type PlanNode = {
  "Node Type": string;
  "Index Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
};
type Explained = { Plan: PlanNode; "Execution Time": number };

function scans(node: PlanNode): string[] {
  const own = /Scan|Sort/.test(node["Node Type"])
    ? [`${node["Node Type"]}${node["Index Name"] ? ` ${node["Index Name"]}` : ""}`]
    : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

function subsets<T>(items: T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) all.push(...all.map((subset) => [...subset, item]));
  return all;
}

const sql = connectProductDatabase({ ...benchDatabase(), maxConnections: 1 });
const words = createTextWords(sql);
let slow = 0;
try {
  for (const sort of PRODUCT_SORTS) {
    for (const names of subsets(Object.keys(FILTERS))) {
      const input: ListProductsInput = Object.assign({ sort }, ...names.map((n) => FILTERS[n]));
      const first = parseListProductsQuery(input);
      const { nextPageToken } = await listProducts(sql, first, undefined, words);
      const pages = [first];
      if (nextPageToken !== "")
        pages.push(parseListProductsQuery({ ...input, pageToken: nextPageToken }));
      for (const [index, query] of pages.entries()) {
        let best: Explained | undefined;
        const lookup = await words(query.filters.query);
        for (let run = 0; run < 2; run++) {
          const { text, values } = pageStatement(query, lookup);
          const [row] = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, values);
          const [explained] = (row?.["QUERY PLAN"] ?? []) as Explained[];
          if (explained && (!best || explained["Execution Time"] < best["Execution Time"]))
            best = explained;
        }
        if (!best) throw new Error("EXPLAIN gave no plan");
        const ms = best["Execution Time"];
        const buffers =
          (best.Plan["Shared Hit Blocks"] ?? 0) + (best.Plan["Shared Read Blocks"] ?? 0);
        if (ms > slowMs) slow++;
        const label = `${sort} ${names.join("+") || "(no filter)"} page ${index + 1}`;
        console.log(
          `${ms > slowMs ? "SLOW" : "    "} ${ms.toFixed(2).padStart(8)} ms ${String(buffers).padStart(7)} buf  ${label.padEnd(44)} ${scans(best.Plan).join(" > ")}`,
        );
      }
    }
  }
  console.log(`${slow} case(s) slower than ${slowMs} ms`);
} finally {
  await sql.end({ timeout: 5 });
}
