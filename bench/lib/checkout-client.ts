import http from "node:http";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";
import { mintDevToken } from "../../scripts/dev-auth.js";

/** Where a checkout goes and what it buys. */
export interface CheckoutSetup {
  /** The gateway: the checkout itself goes over REST, as a shop front would send it. */
  readonly gatewayUrl: string;
  /** The basket service: baskets are filled and watched over gRPC, straight to it. */
  readonly basketUrl: string;
  /** One basket line of quantity 1 per product. */
  readonly productIds: readonly bigint[];
}

/** The steps of one checkout, for the bench's checkout and event-latency rows. */
export interface CheckoutClient {
  /** Adds one line per product to `userId`'s basket (AddItem over gRPC, one call per line). */
  fill(userId: string): Promise<void>;
  /**
   * POST /payments, then POST /payments/{id}/process with `tok_visa`, through the gateway on
   * `agent`'s connection. Resolves when the payment is COMPLETED; rejects with what went wrong.
   */
  checkout(agent: http.Agent, userId: string): Promise<void>;
  /** True when `userId` has no basket or an empty one (GetBasket over gRPC). */
  basketEmpty(userId: string): Promise<boolean>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The client of `setup`; its gRPC connection to the basket service is shared by every caller.
 * The basket calls (fill and watch) go through the services' own lean unary gRPC client rather
 * than connect-node's: the driver shares the machine's cores with the servers, and its CPU per
 * checkout is the load generator's, not the system's.
 */
export function createCheckoutClient(setup: CheckoutSetup): CheckoutClient {
  // Each user signs in once (dev tokens); calls carry the token of the user they name.
  const tokens = new Map<string, Promise<string>>();
  const bearer = (userId: string) => {
    let token = tokens.get(userId);
    if (!token) {
      token = mintDevToken(userId).then((t) => `Bearer ${t}`);
      tokens.set(userId, token);
    }
    return token;
  };
  const asOwner: Interceptor = (next) => async (req) => {
    req.header.set(
      "authorization",
      await bearer((req.message as unknown as { userId: string }).userId),
    );
    return next(req);
  };
  const baskets = createClient(
    BasketService,
    createGrpcUnaryTransport({
      baseUrl: setup.basketUrl,
      defaultTimeoutMs: REQUEST_TIMEOUT_MS,
      interceptors: [asOwner],
    }),
  );
  return {
    async fill(userId) {
      for (const productId of setup.productIds) {
        await baskets.addItem({ userId, productId, quantity: 1 });
      }
    },
    async checkout(agent, userId) {
      const authorization = await bearer(userId);
      const created = await postJson(
        agent,
        `${setup.gatewayUrl}/payments`,
        { user_id: userId, method: "card" },
        authorization,
      );
      const id = expectStatus(created, "POST /payments", "PAYMENT_STATUS_PENDING").id;
      const processed = await postJson(
        agent,
        `${setup.gatewayUrl}/payments/${id}/process`,
        { payment_token: "tok_visa" },
        authorization,
      );
      expectStatus(processed, "POST /payments/{id}/process", "PAYMENT_STATUS_COMPLETED");
    },
    async basketEmpty(userId) {
      try {
        const { basket } = await baskets.getBasket({ userId });
        return (basket?.items.length ?? 0) === 0;
      } catch (error) {
        if (error instanceof ConnectError && error.code === Code.NotFound) return true;
        throw error;
      }
    },
  };
}

interface JsonAnswer {
  readonly status: number;
  readonly body: string;
}

function expectStatus(answer: JsonAnswer, what: string, paymentStatus: string): { id: string } {
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${what} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  const payment = JSON.parse(answer.body) as { id?: string; status?: string };
  if (payment.status !== paymentStatus || typeof payment.id !== "string") {
    throw new Error(`${what} answered a payment in status ${payment.status}`);
  }
  return { id: payment.id };
}

/** One POST of a JSON body on `agent` (keep-alive, one socket per worker). */
function postJson(
  agent: http.Agent,
  url: string,
  body: object,
  authorization: string,
): Promise<JsonAnswer> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
          authorization,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
    req.end(data);
  });
}
