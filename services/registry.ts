/**
 * The one list of services. Adding a service is its folder under `services/` plus one entry here:
 * `npm start`, `npm run migrate`, the test set-up, the bench and the gateway all read this list.
 * Imported as `#services`; it loads only generated descriptors, never a service's own code (a
 * service's migrations are imported when they run).
 */
import type { DescService } from "@bufbuild/protobuf";
import { BasketService } from "#gen/shop/basket/v1/basket_pb";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { NotificationService } from "#gen/shop/notification/v1/notification_pb";
import { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import type { DatabaseSettings } from "#shared/database";

/** Applies every pending migration, creating the database first when it is missing. */
export type Migrate = (settings: DatabaseSettings, log?: (line: string) => void) => Promise<void>;

/** A database the service owns: its kind, its name (`DB_NAME` default), its migrations. */
export interface DatabaseStore {
  readonly kind: "postgres" | "mariadb";
  readonly database: string;
  readonly migrate: () => Promise<Migrate>;
}

/** Where a service keeps its state. */
export type Store = DatabaseStore | { readonly kind: "redis" };

/** What kind of server a store runs on; `scripts/ensure-stores.sh` knows how to start each. */
export type StoreKind = Store["kind"];

export interface ServiceEntry {
  /** Log name and gateway upstream name; its URL variable is `<NAME>_SERVICE_URL`. */
  readonly name: string;
  /** Default `GRPC_PORT`: gRPC, gRPC-Web, Connect, /health, /ready and /metrics. */
  readonly port: number;
  /** The composition root, relative to `dist/`. */
  readonly main: string;
  /** The Connect services it serves; the gateway routes their `google.api.http` paths to it. */
  readonly serves: readonly DescService[];
  readonly store: Store;
}

export const services = [
  {
    name: "product",
    port: 50050,
    main: "services/product/src/main.js",
    serves: [ProductService],
    store: {
      kind: "postgres",
      database: "product_service",
      migrate: () => import("./product/src/db/migrate.js").then((m) => m.migrateProductDatabase),
    },
  },
  {
    name: "basket",
    port: 50051,
    main: "services/basket/src/main.js",
    serves: [BasketService],
    store: { kind: "redis" },
  },
  {
    name: "payment",
    port: 50052,
    main: "services/payment/src/main.js",
    serves: [PaymentService],
    store: {
      kind: "mariadb",
      database: "payment_service",
      migrate: () => import("./payment/src/db/migrate.js").then((m) => m.migratePaymentDatabase),
    },
  },
  {
    name: "notification",
    port: 50053,
    main: "services/notification/src/main.js",
    serves: [NotificationService, EventStoreService],
    store: {
      kind: "postgres",
      database: "notification_service",
      migrate: () =>
        import("./notification/src/db/migrate.js").then((m) => m.migrateNotificationDatabase),
    },
  },
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof services)[number]["name"];

/** The environment variable that holds a service's address(es), e.g. `PRODUCT_SERVICE_URL`. */
export type ServiceUrlVariable = `${Uppercase<ServiceName>}_SERVICE_URL`;

/** The entry of `name`, with its literal type (so `service("product").store.database` is known). */
export function service<N extends ServiceName>(
  name: N,
): Extract<(typeof services)[number], { name: N }> {
  const found = services.find((entry) => entry.name === name);
  if (!found) throw new Error(`no service named ${name}`);
  return found as Extract<(typeof services)[number], { name: N }>;
}

/** `PRODUCT_SERVICE_URL` for `product`. */
export function serviceUrlVariable(name: ServiceName): ServiceUrlVariable {
  return `${name.toUpperCase()}_SERVICE_URL` as ServiceUrlVariable;
}

/** The entry's database, or undefined for a service without one. */
export function databaseOf(entry: ServiceEntry): DatabaseStore | undefined {
  return entry.store.kind === "redis" ? undefined : entry.store;
}

/** Every store kind some listed service uses, each once. */
export function storeKinds(): StoreKind[] {
  return [...new Set(services.map((entry) => entry.store.kind))];
}
