import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";

/** The two browser protocols the gateway proxies. */
export type TransportKind = "connect" | "grpc-web";

export const transportNames: Readonly<Record<TransportKind, string>> = {
  connect: "Connect",
  "grpc-web": "gRPC-Web",
};

/** Generated clients of every service the page uses, all over one transport. */
export interface Api {
  readonly kind: TransportKind;
  readonly products: Client<typeof ProductService>;
  readonly baskets: Client<typeof BasketService>;
  readonly payments: Client<typeof PaymentService>;
  readonly notifications: Client<typeof NotificationService>;
}

/**
 * Clients over Connect (JSON) or gRPC-Web (binary) to `baseUrl`, the gateway, which proxies both
 * to the services. `token()` is read on every call, so signing in or out needs no new clients.
 */
export function createApi(
  kind: TransportKind,
  baseUrl: string,
  token: () => string | undefined,
): Api {
  const auth: Interceptor = (next) => (req) => {
    const bearer = token();
    if (bearer) req.header.set("authorization", `Bearer ${bearer}`);
    return next(req);
  };
  const options = { baseUrl, interceptors: [auth] };
  const transport: Transport =
    kind === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
  return {
    kind,
    products: createClient(ProductService, transport),
    baskets: createClient(BasketService, transport),
    payments: createClient(PaymentService, transport),
    notifications: createClient(NotificationService, transport),
  };
}
