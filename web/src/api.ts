import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
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

/** Who is calling: the bearer token to send, and whom to tell when the gateway refuses it. */
export interface Credentials {
  /** Read on every call, so signing in or out needs no new clients. */
  token(): string | undefined;
  /** A call that carried `token` was answered Unauthenticated (expired, or not valid here). */
  refused(token: string): void;
}

/**
 * Clients over Connect (JSON) or gRPC-Web (binary) to `baseUrl`, the gateway, which proxies both
 * to the services, each call carrying the current token.
 */
export function createApi(kind: TransportKind, baseUrl: string, credentials: Credentials): Api {
  const auth: Interceptor = (next) => async (req) => {
    const bearer = credentials.token();
    if (!bearer) return next(req);
    req.header.set("authorization", `Bearer ${bearer}`);
    try {
      return await next(req);
    } catch (error) {
      if (ConnectError.from(error).code === Code.Unauthenticated) credentials.refused(bearer);
      throw error;
    }
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
