/**
 * The bench's gRPC peer: what a team on plain `@grpc/grpc-js` would write to answer
 * `shop.product.v1.ProductService/GetProduct` — the .proto loaded at run time with
 * @grpc/proto-loader (as our interop tests load it), one postgres.js pool of the floor's size
 * with prepared statements, the floor's SELECT, the row as the response message. No logging,
 * metrics, auth or interceptors. The `grpc-get` rows are compared with it (issue 11, goal 1).
 *
 * Env: PORT, HOST, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_POOL_MAX (10).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { connectBenchProducts, SELECT_BY_ID } from "./lib/select-by-id.js";

const env = process.env;
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

const sql = connectBenchProducts(env);

const definition = protoLoader.loadSync(root("proto/shop/product/v1/product.proto"), {
  includeDirs: [root("proto"), root("node_modules/google-proto-files")],
  longs: String,
  defaults: true,
});
const ProductService = (grpc.loadPackageDefinition(definition) as GrpcTree).shop.product.v1
  .ProductService;

type GrpcTree = {
  shop: { product: { v1: { ProductService: grpc.ServiceClientConstructor } } };
};

type ProductRow = {
  id: string;
  name: string;
  description: string;
  price: string;
  stock_quantity: number;
  category: string;
  image_url: string;
  created_at: Date;
  updated_at: Date;
};

const timestamp = (date: Date) => {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 };
};

const getProduct: grpc.handleUnaryCall<{ id: string }, unknown> = (call, callback) => {
  sql.unsafe<ProductRow[]>(SELECT_BY_ID, [call.request.id], { prepare: true }).then(
    ([row]) => {
      if (!row) return callback({ code: grpc.status.NOT_FOUND, details: "product not found" });
      callback(null, {
        product: {
          id: row.id,
          name: row.name,
          description: row.description,
          price: row.price,
          stock_quantity: row.stock_quantity,
          category: row.category,
          image_url: row.image_url,
          created_at: timestamp(row.created_at),
          updated_at: timestamp(row.updated_at),
        },
      });
    },
    () => callback({ code: grpc.status.INTERNAL, details: "internal error" }),
  );
};

const server = new grpc.Server();
server.addService(ProductService.service, { GetProduct: getProduct });
server.bindAsync(
  `${env.HOST ?? "127.0.0.1"}:${Number(env.PORT ?? 8091)}`,
  grpc.ServerCredentials.createInsecure(),
  (error) => {
    if (error) {
      process.stderr.write(`grpc-js peer cannot listen: ${error.message}\n`);
      process.exit(1);
    }
  },
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.tryShutdown(() => void sql.end({ timeout: 5 }).then(() => process.exit(0)));
  });
}
