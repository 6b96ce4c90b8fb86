import type { Transport } from "@connectrpc/connect";
import type { Pool } from "mysql2/promise";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import type { Logger } from "#shared/logger";
import { bindService, type ServiceBinding } from "#shared/server/service-server";
import { callStore, guardStore, type StoreGuard } from "#shared/store-errors";
import type { PaymentDeps } from "./app/deps.js";
import { createExpirySweeper, type ExpirySweeper } from "./app/expiry-sweeper.js";
import { createBasketReader } from "./clients/basket.js";
import { createProductCatalog } from "./clients/product-catalog.js";
import { createStockReservations } from "./clients/stock.js";
import { checkDatabase } from "./db/connection.js";
import { createPaymentQueries } from "./db/payment-reads.js";
import { createPaymentRepository } from "./db/payment-repository.js";
import type { PaymentProvider } from "./provider/payment-provider.js";
import { createSimulatedProvider } from "./provider/simulated-provider.js";
import { createPaymentService } from "./rpc/payment-service.js";

/** Payment database calls: bounded, and an outage answers Unavailable rather than Internal. */
export const PAYMENT_DATABASE: StoreGuard = {
  name: "payment database (MariaDB)",
  deadlineMs: 4_000,
};

/** Longest wait of a readiness probe: /ready answers 503 rather than hang on a silent database. */
const READY_DEADLINE = { ...PAYMENT_DATABASE, deadlineMs: 1_500 };

/** What the payment service is built from; main.ts and the tests both fill this in. */
export type PaymentAppDeps = {
  readonly pool: Pool;
  /** Transports to the basket service and the product service (catalogue and stock). */
  readonly basket: Transport;
  readonly product: Transport;
  readonly logger: Logger;
  readonly ttlSeconds: number;
  readonly shopCurrency: string;
  readonly sweepIntervalMs: number;
  /** Payments expired per sweeper transaction; 100 unless set. */
  readonly sweepBatchSize?: number;
  /** The simulated provider unless set. */
  readonly provider?: PaymentProvider;
  /** The current time; the system clock unless set. */
  readonly clock?: () => Date;
  /** Called after every commit that wrote outbox rows (to wake a relay). */
  readonly outboxWritten?: () => void;
};

/**
 * The payment service's RPCs, readiness (MariaDB answers; the basket and product services are
 * not asked, so their outage does not take this one out of rotation) and its expiry sweeper
 * (not started: the caller starts and stops it).
 */
export function createPaymentApp(deps: PaymentAppDeps): {
  services: ServiceBinding[];
  isReady: () => Promise<boolean>;
  sweeper: ExpirySweeper;
} {
  const useCaseDeps: PaymentDeps = {
    payments: guardStore(createPaymentRepository(deps.pool), PAYMENT_DATABASE),
    queries: guardStore(createPaymentQueries(deps.pool), PAYMENT_DATABASE),
    baskets: createBasketReader(deps.basket),
    catalog: createProductCatalog(deps.product),
    stock: createStockReservations(deps.product),
    provider: deps.provider ?? createSimulatedProvider(),
    logger: deps.logger,
    clock: deps.clock ?? (() => new Date()),
    settings: { ttlSeconds: deps.ttlSeconds, shopCurrency: deps.shopCurrency },
    outboxWritten: deps.outboxWritten,
  };
  return {
    services: [bindService(PaymentService, createPaymentService(useCaseDeps))],
    isReady: () =>
      callStore(READY_DEADLINE, () => checkDatabase(deps.pool)).then(
        () => true,
        () => false,
      ),
    sweeper: createExpirySweeper(useCaseDeps, {
      intervalMs: deps.sweepIntervalMs,
      batchSize: deps.sweepBatchSize,
    }),
  };
}
