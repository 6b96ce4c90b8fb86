import { ProductService } from "#gen/shop/product/v1/product_pb";
import { StockService } from "#gen/shop/product/v1/stock_pb";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import type { ProductSql } from "./db/connection.js";
import { checkDatabase, createProductRepository } from "./db/product-repository.js";
import { createStockRepository } from "./db/stock-repository.js";
import { createProductService } from "./rpc/product-service.js";
import { createStockService } from "./rpc/stock-service.js";

/** What the product service serves, given its database; shared by main.ts and the tests. */
export function createProductApp(sql: ProductSql): {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
} {
  const repository = createProductRepository(sql);
  return {
    services: [
      bindService(ProductService, createProductService(repository)),
      bindService(StockService, createStockService(createStockRepository(sql))),
    ],
    isReady: () =>
      checkDatabase(sql).then(
        () => true,
        () => false,
      ),
  };
}
