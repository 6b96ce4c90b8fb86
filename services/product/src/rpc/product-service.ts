import type { ServiceImpl } from "@connectrpc/connect";
import type { ProductService } from "#gen/shop/product/v1/product_pb";
import type { ProductRepository } from "../db/product-repository.js";
import { parseListProductsQuery } from "../domain/list-query.js";
import { validateNewProduct, validateProductChanges } from "../domain/product.js";
import {
  productId,
  toCategoryMessage,
  toListProductsResponse,
  toProductMessage,
} from "./convert.js";

/** The ProductService RPCs: parse, call the repository, convert. */
export function createProductService(
  repository: ProductRepository,
): ServiceImpl<typeof ProductService> {
  return {
    async createProduct(req) {
      const product = await repository.create(validateNewProduct(req));
      return { product: toProductMessage(product) };
    },
    async getProduct(req) {
      const product = await repository.get(productId(req.id));
      return { product: toProductMessage(product) };
    },
    async listProducts(req) {
      return toListProductsResponse(await repository.list(parseListProductsQuery(req)));
    },
    async updateProduct(req) {
      const { id, ...changes } = req;
      const product = await repository.update(productId(id), validateProductChanges(changes));
      return { product: toProductMessage(product) };
    },
    async deleteProduct(req) {
      await repository.delete(productId(req.id));
      return {};
    },
    async listCategories() {
      const categories = await repository.categories();
      return { categories: categories.map(toCategoryMessage) };
    },
  };
}
