import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type Transport } from "@connectrpc/connect";
import { BasketSchema, BasketService } from "#gen/shop/basket/v1/basket_pb";
import { ProductSchema, ProductService } from "#gen/shop/product/v1/product_pb";
import { ReservationStatus, StockService } from "#gen/shop/product/v1/stock_pb";

export type FakeProduct = { name: string; price: string; category: string; stock: number };
type Reservation = {
  status: ReservationStatus;
  lines: { productId: bigint; quantity: number }[];
};

const unimplemented = () => {
  throw new ConnectError("not in the fake", Code.Unimplemented);
};

/**
 * In-memory neighbours of the payment service: a basket service (GetBasket) and a product service
 * (GetProduct and the StockService), over in-process transports. The stock fake enforces stock as
 * the real one must: all lines or none, never below zero, idempotent per reservation id.
 * `down` makes every call answer Unavailable; `describeReserved: false` leaves the products out
 * of ReserveStock's answer.
 */
export function fakeNeighbours() {
  const products = new Map<bigint, FakeProduct>();
  const baskets = new Map<string, { productId: bigint; quantity: number }[]>();
  const reservations = new Map<string, Reservation>();
  // `describeReserved: false` plays a product service from before ReserveStock described its products.
  const state = { down: false, describeReserved: true, getProductCalls: 0 };
  const guard = () => {
    if (state.down) throw new ConnectError("connection refused", Code.Unavailable);
  };
  const reservation = (id: string) => {
    const found = reservations.get(id);
    if (!found) throw new ConnectError(`reservation ${id} not found`, Code.NotFound);
    return found;
  };
  const answer = (reservationId: string, r: Reservation) => ({
    reservation: { reservationId, status: r.status, lines: r.lines, createdAt: timestampNow() },
  });
  /** ReserveStock's answer: also the products as the catalogue has them now, as the real one. */
  const reserved = (reservationId: string, r: Reservation) => ({
    ...answer(reservationId, r),
    products: r.lines.flatMap(({ productId }) => {
      const found = state.describeReserved ? products.get(productId) : undefined;
      return found
        ? [{ id: productId, name: found.name, price: found.price, category: found.category }]
        : [];
    }),
  });

  const basket: Transport = createRouterTransport(({ service }) => {
    service(BasketService, {
      getBasket(req) {
        guard();
        const items = baskets.get(req.userId);
        if (!items) throw new ConnectError(`basket of ${req.userId} not found`, Code.NotFound);
        return {
          basket: create(BasketSchema, { id: `basket-${req.userId}`, userId: req.userId, items }),
        };
      },
      createBasket: unimplemented,
      deleteBasket: unimplemented,
      addItem: unimplemented,
      updateItem: unimplemented,
      removeItem: unimplemented,
      clearItems: unimplemented,
    });
  });

  const product: Transport = createRouterTransport(({ service }) => {
    service(ProductService, {
      getProduct(req) {
        guard();
        state.getProductCalls++;
        const found = products.get(req.id);
        if (!found) throw new ConnectError(`product ${req.id} not found`, Code.NotFound);
        const { stock, ...fields } = found;
        return { product: create(ProductSchema, { id: req.id, ...fields, stockQuantity: stock }) };
      },
      createProduct: unimplemented,
      listProducts: unimplemented,
      updateProduct: unimplemented,
      deleteProduct: unimplemented,
      listCategories: unimplemented,
    });
    service(StockService, {
      reserveStock(req) {
        guard();
        const existing = reservations.get(req.reservationId);
        if (existing) return reserved(req.reservationId, existing);
        for (const line of req.lines) {
          const found = products.get(line.productId);
          if (!found) throw new ConnectError(`product ${line.productId} not found`, Code.NotFound);
          if (found.stock < line.quantity) {
            throw new ConnectError(
              `only ${found.stock} of product ${line.productId} in stock, ${line.quantity} wanted`,
              Code.FailedPrecondition,
            );
          }
        }
        for (const line of req.lines)
          (products.get(line.productId) as FakeProduct).stock -= line.quantity;
        const created = {
          status: ReservationStatus.RESERVED,
          lines: req.lines.map(({ productId, quantity }) => ({ productId, quantity })),
        };
        reservations.set(req.reservationId, created);
        return reserved(req.reservationId, created);
      },
      commitStock(req) {
        guard();
        const r = reservation(req.reservationId);
        if (r.status === ReservationStatus.RELEASED) {
          throw new ConnectError("reservation was released", Code.FailedPrecondition);
        }
        r.status = ReservationStatus.COMMITTED;
        return answer(req.reservationId, r);
      },
      releaseStock(req) {
        guard();
        const r = reservation(req.reservationId);
        if (r.status === ReservationStatus.COMMITTED) {
          throw new ConnectError("reservation was committed", Code.FailedPrecondition);
        }
        if (r.status === ReservationStatus.RESERVED) {
          for (const line of r.lines) {
            const found = products.get(line.productId);
            if (found) found.stock += line.quantity;
          }
          r.status = ReservationStatus.RELEASED;
        }
        return answer(req.reservationId, r);
      },
      getReservation(req) {
        guard();
        return answer(req.reservationId, reservation(req.reservationId));
      },
    });
  });

  return {
    basket,
    product,
    products,
    baskets,
    reservations,
    state,
    /** A fresh product id, so suites never share a product. */
    newProduct(fields: Partial<FakeProduct> = {}): bigint {
      const id = BigInt(`0x${randomUUID().replaceAll("-", "").slice(0, 12)}`);
      products.set(id, { name: `P${id}`, price: "1.00", category: "test", stock: 100, ...fields });
      return id;
    },
    /** A fresh user whose basket holds `lines`. */
    newUser(lines: { productId: bigint; quantity: number }[] = []): string {
      const userId = `user-${randomUUID()}`;
      baskets.set(userId, lines);
      return userId;
    },
    /** Reservation statuses by name, for assertions. */
    statusOf(reservationId: string): string | undefined {
      const r = reservations.get(reservationId);
      return r && ReservationStatus[r.status];
    },
  };
}

export type FakeNeighbours = ReturnType<typeof fakeNeighbours>;
