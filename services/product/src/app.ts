import { ProductService } from "#gen/shop/product/v1/product_pb";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import type { Metrics } from "#shared/metrics";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import { callStore, guardStore } from "#shared/store-errors";
import { PRODUCT_DATABASE, type ProductSql } from "./db/connection.js";
import type { ProductPage } from "./db/list-products.js";
import { createPageCache, PAGE_CACHE_PRODUCTS } from "./db/page-cache.js";
import { registerPageCacheMetrics } from "./db/page-cache-metrics.js";
import { checkDatabase, createProductRepository } from "./db/product-repository.js";
import { createStockRepository } from "./db/stock-repository.js";
import { createProductService } from "./rpc/product-service.js";
import { getProductEncoder, listProductsEncoder } from "./rpc/product-wire.js";
import { createStockService } from "./rpc/stock-service.js";

/** Longest wait of a readiness probe: /ready answers 503 rather than hang on a silent database. */
const READY_DEADLINE = { ...PRODUCT_DATABASE, deadlineMs: 1_500 };

/**
 * What the product service serves, given its database; shared by main.ts and the tests. Every
 * repository call is bounded and a database outage answers Unavailable (see PRODUCT_DATABASE).
 */
export function createProductApp(
  sql: ProductSql,
  options: { pageCacheProducts?: number; metrics?: Metrics } = {},
): {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
} {
  const pageCache = createPageCache<ProductPage>({
    products: options.pageCacheProducts ?? PAGE_CACHE_PRODUCTS,
  });
  if (options.metrics) registerPageCacheMetrics(options.metrics.registry, pageCache);
  const products = guardStore(createProductRepository(sql, pageCache), PRODUCT_DATABASE);
  const stock = guardStore(createStockRepository(sql), PRODUCT_DATABASE);
  return {
    services: [
      bindService(ProductService, createProductService(products), [
        getProductEncoder,
        listProductsEncoder,
      ]),
      bindService(StockService, createStockService(stock)),
    ],
    isReady: () =>
      callStore(READY_DEADLINE, () => checkDatabase(sql)).then(
        () => true,
        () => false,
      ),
  };
}
