import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { PaymentService } from "#gen/shop/payment/v1/payment_pb";
import { callerOf } from "#shared/auth/caller";
import { createCancelPayment } from "../app/cancel-payment.js";
import { createCreatePayment } from "../app/create-payment.js";
import { type Actor, type CallContext, type PaymentDeps, requireOwner } from "../app/deps.js";
import { createProcessPayment } from "../app/process-payment.js";
import { createRefundPayment } from "../app/refund-payment.js";
import { parsePaymentId, parseRefundInput, parseUserId } from "../domain/input.js";
import { parseListPaymentsQuery } from "../domain/list-query.js";
import { toPaymentMessage, toRefundMessage, toStatusFilter } from "./convert.js";

/** The PaymentService RPCs: parse, call the use case or query, convert. */
export function createPaymentService(deps: PaymentDeps): ServiceImpl<typeof PaymentService> {
  const createPayment = createCreatePayment(deps);
  const processPayment = createProcessPayment(deps);
  const cancelPayment = createCancelPayment(deps);
  const refundPayment = createRefundPayment(deps);
  const context = (ctx: HandlerContext): CallContext => ({
    requestId: ctx.requestHeader.get("x-request-id") ?? undefined,
    actor: actorOf(ctx),
  });
  const page = async (query: Parameters<typeof parseListPaymentsQuery>[0]) => {
    const found = await deps.queries.list(parseListPaymentsQuery(query));
    return { payments: found.payments.map(toPaymentMessage), nextPageToken: found.nextPageToken };
  };

  return {
    async createPayment(req, ctx) {
      return { payment: toPaymentMessage(await createPayment(req, context(ctx))) };
    },
    async getPayment(req, ctx) {
      const payment = await deps.queries.get(parsePaymentId(req.id));
      requireOwner(payment, actorOf(ctx));
      return { payment: toPaymentMessage(payment) };
    },
    async processPayment(req, ctx) {
      const input = { id: parsePaymentId(req.id), token: req.paymentToken };
      return { payment: toPaymentMessage(await processPayment(input, context(ctx))) };
    },
    async cancelPayment(req, ctx) {
      const payment = await cancelPayment({ id: parsePaymentId(req.id) }, context(ctx));
      return { payment: toPaymentMessage(payment) };
    },
    async refundPayment(req) {
      const input = { id: parsePaymentId(req.id), ...parseRefundInput(req) };
      const { payment, refund } = await refundPayment(input);
      return { payment: toPaymentMessage(payment), refund: toRefundMessage(refund) };
    },
    async listPayments(req) {
      const userId = req.userId === "" ? undefined : parseUserId(req.userId);
      const filters = { status: toStatusFilter(req.status), userId };
      return page({ pageSize: req.pageSize, pageToken: req.pageToken, filters });
    },
    async listUserPayments(req) {
      const filters = { status: toStatusFilter(req.status), userId: parseUserId(req.userId) };
      return page({ pageSize: req.pageSize, pageToken: req.pageToken, filters });
    },
  };
}

/** The verified caller (auth interceptor) as the use cases see it; nobody else reaches here. */
function actorOf(ctx: HandlerContext): Actor {
  const caller = callerOf(ctx);
  if (caller.kind === "service") return { kind: "service" };
  // The OWNER rule admits only users and services; anonymous gets a user no payment has.
  return { kind: "user", userId: caller.kind === "user" ? caller.subject : "" };
}
