import { ProductService } from "#gen/shop/product/v1/product_pb";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import type { ProductSql } from "./db/connection.js";
import { checkDatabase, createProductRepository } from "./db/product-repository.js";
import { createProductService } from "./rpc/product-service.js";

/** What the product service serves, given its database; shared by main.ts and the tests. */
export function createProductApp(sql: ProductSql): {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
} {
  const repository = createProductRepository(sql);
  return {
    services: [bindService(ProductService, createProductService(repository))],
    isReady: () =>
      checkDatabase(sql).then(
        () => true,
        () => false,
      ),
  };
}
