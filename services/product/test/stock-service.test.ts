import { type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReservationStatus, StockService } from "#gen/shop/product/v1/stock_pb";
import { asService } from "#shared-test/auth";
import { codeOf } from "#shared-test/code-of";
import { startTestServer } from "#shared-test/service-harness";
import { createProductApp } from "../src/app.js";
import { validateProductChanges } from "../src/domain/product.js";
import {
  concurrently,
  inAnHour,
  newReservationId,
  useStockFixture,
} from "./support/stock-fixtures.js";

const f = useStockFixture();
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer(createProductApp(f.sql));
});
afterAll(() => server?.close(1000));

const transports: Record<string, () => Transport> = {
  grpc: () => createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
  "connect JSON over HTTP/1.1": () =>
    createConnectTransport({
      baseUrl: server.baseUrl,
      interceptors: [asService()],
      httpVersion: "1.1",
      useBinaryFormat: false,
    }),
};

const expiresAt = () => timestampFromDate(inAnHour());

describe.each(Object.entries(transports))("StockService over %s", (_name, transport) => {
  let client: Client<typeof StockService>;
  beforeAll(() => {
    client = createClient(StockService, transport());
  });

  it("answers the reserved products' name, price and category, current on a repeat too", async () => {
    const [a, b] = [await f.newProduct(5), await f.newProduct(5)];
    await f.catalogue.update(b, validateProductChanges({ price: "12.30", category: "mugs" }));
    const reservationId = newReservationId();
    const lines = [
      { productId: b, quantity: 1 },
      { productId: a, quantity: 2 },
    ];
    const first = await client.reserveStock({ reservationId, lines, expiresAt: expiresAt() });
    expect(
      first.products.map(({ id, name, price, category }) => ({ id, name, price, category })),
    ).toEqual([
      { id: a, name: "Stocked", price: "1.00", category: "" },
      { id: b, name: "Stocked", price: "12.30", category: "mugs" },
    ]);
    await f.catalogue.update(a, validateProductChanges({ price: "0.99" }));
    const again = await client.reserveStock({ reservationId, lines, expiresAt: expiresAt() });
    expect(again.products.map((product) => product.price)).toEqual(["0.99", "12.30"]);
    expect(await f.stockOf(a)).toBe(3);
  });

  it("reserves, reads, commits and refuses to release a sold reservation", async () => {
    const product = await f.newProduct(5);
    const reservationId = newReservationId();
    const lines = [{ productId: product, quantity: 2 }];
    const { reservation } = await client.reserveStock({
      reservationId,
      lines,
      expiresAt: expiresAt(),
    });
    expect(reservation).toMatchObject({ reservationId, status: ReservationStatus.RESERVED });
    expect(reservation?.lines.map(({ productId, quantity }) => ({ productId, quantity }))).toEqual(
      lines,
    );
    expect(await f.stockOf(product)).toBe(3);

    const again = await client.reserveStock({ reservationId, lines, expiresAt: expiresAt() });
    expect(again.reservation).toEqual(reservation);
    expect((await client.getReservation({ reservationId })).reservation).toEqual(reservation);

    const committed = await client.commitStock({ reservationId });
    expect(committed.reservation?.status).toBe(ReservationStatus.COMMITTED);
    expect((await client.commitStock({ reservationId })).reservation?.status).toBe(
      ReservationStatus.COMMITTED,
    );
    const refused = await client.releaseStock({ reservationId }).catch(ConnectError.from);
    expect(refused).toMatchObject({ code: Code.FailedPrecondition });
    expect(await f.stockOf(product)).toBe(3);
  });

  it("releases a reservation once and answers NotFound for unknown ids", async () => {
    const product = await f.newProduct(5);
    const reservationId = newReservationId();
    await client.reserveStock({
      reservationId,
      lines: [{ productId: product, quantity: 5 }],
      expiresAt: expiresAt(),
    });
    for (let i = 0; i < 2; i++) {
      const { reservation } = await client.releaseStock({ reservationId });
      expect(reservation?.status).toBe(ReservationStatus.RELEASED);
    }
    expect(await f.stockOf(product)).toBe(5);
    for (const call of [client.getReservation, client.commitStock, client.releaseStock]) {
      expect(await codeOf(call({ reservationId: newReservationId() }))).toBe(Code.NotFound);
    }
  });

  it("explains a shortage and an unknown product", async () => {
    const product = await f.newProduct(2);
    const short = await client
      .reserveStock({
        reservationId: newReservationId(),
        lines: [{ productId: product, quantity: 3 }],
        expiresAt: expiresAt(),
      })
      .catch(ConnectError.from);
    expect(short).toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: `only 2 of product ${product} in stock, 3 requested`,
    });
    const unknown = client.reserveStock({
      reservationId: newReservationId(),
      lines: [{ productId: 9_000_000_000_000n, quantity: 1 }],
      expiresAt: expiresAt(),
    });
    expect(await codeOf(unknown)).toBe(Code.NotFound);
  });
});

describe("StockService input checks", () => {
  const client = () =>
    createClient(
      StockService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
    );
  const secondsAhead = (seconds: number) =>
    timestampFromDate(new Date(Date.now() + seconds * 1000));
  type Request = {
    reservationId: string;
    lines: { productId: bigint; quantity: number }[];
    expiresAt?: Timestamp | undefined;
  };
  const valid = (productId: bigint): Request => ({
    reservationId: newReservationId(),
    lines: [{ productId, quantity: 1 }],
    expiresAt: expiresAt(),
  });
  const line = (productId: bigint, quantity: number) => [{ productId, quantity }];

  it.each<[string, (product: bigint) => Request, string]>([
    ["no reservation id", (p) => ({ ...valid(p), reservationId: "" }), "reservation_id"],
    [
      "a 65-character id",
      (p) => ({ ...valid(p), reservationId: "p".repeat(65) }),
      "reservation_id",
    ],
    ["no lines", (p) => ({ ...valid(p), lines: [] }), "lines"],
    ["a zero quantity", (p) => ({ ...valid(p), lines: line(p, 0) }), "lines[0].quantity"],
    ["a negative quantity", (p) => ({ ...valid(p), lines: line(p, -1) }), "lines[0].quantity"],
    ["a product id of 0", (p) => ({ ...valid(p), lines: line(0n, 1) }), "lines[0].product_id"],
    [
      "a duplicate product",
      (p) => ({ ...valid(p), lines: [...line(p, 1), ...line(p, 2)] }),
      "lines",
    ],
    ["no expiry", (p) => ({ ...valid(p), expiresAt: undefined }), "expires_at"],
    ["an expiry in the past", (p) => ({ ...valid(p), expiresAt: secondsAhead(-1) }), "expires_at"],
    [
      "an expiry 8 days ahead",
      (p) => ({ ...valid(p), expiresAt: secondsAhead(8 * 86400) }),
      "expires_at",
    ],
  ])(
    "refuses %s with InvalidArgument naming the field, changing nothing",
    async (_, request, field) => {
      const product = await f.newProduct(5);
      const sent = request(product);
      const error = await client().reserveStock(sent).catch(ConnectError.from);
      expect(error).toMatchObject({ code: Code.InvalidArgument });
      expect((error as ConnectError).rawMessage.startsWith(`${field}: `)).toBe(true);
      expect(await f.stockOf(product)).toBe(5);
      if (sent.reservationId) {
        const lookup = client().getReservation({ reservationId: sent.reservationId });
        expect(await codeOf(lookup)).toBe(
          sent.reservationId.length > 64 ? Code.InvalidArgument : Code.NotFound,
        );
      }
    },
  );

  it("refuses an empty reservation id on the other RPCs", async () => {
    for (const call of ["getReservation", "commitStock", "releaseStock"] as const) {
      expect(await codeOf(client()[call]({ reservationId: "" }))).toBe(Code.InvalidArgument);
    }
  });
});

describe("StockService under concurrent checkouts", () => {
  it("never oversells: 40 ReserveStock calls of 1–2 units on a stock of 10, over gRPC", async () => {
    const product = await f.newProduct(10);
    const client = createClient(
      StockService,
      createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [asService()] }),
    );
    const results = await concurrently(40, (index) =>
      client.reserveStock({
        reservationId: newReservationId(),
        lines: [{ productId: product, quantity: 1 + (index % 2) }],
        expiresAt: expiresAt(),
      }),
    );
    let units = 0;
    const refusals = new Set<Code>();
    for (const result of results) {
      if (result.status === "fulfilled") units += result.value.reservation?.lines[0]?.quantity ?? 0;
      else refusals.add(ConnectError.from(result.reason).code);
    }
    expect(refusals).toEqual(new Set([Code.FailedPrecondition]));
    expect(units).toBe(10);
    expect(await f.stockOf(product)).toBe(0);
  });
});
