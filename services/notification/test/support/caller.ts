import type { Interceptor } from "@connectrpc/connect";
import { EventStoreService } from "#gen/shop/notification/v1/event_store_pb";
import { asAdmin, asService } from "#shared-test/auth";

const admin = asAdmin();
const service = asService("test");

/**
 * The caller of tests that are not about auth: notification RPCs as a shop service (which may
 * act for any user), the event store as an admin (its ADMIN rule admits nobody else).
 * gateway/test/auth.test.ts holds the rules themselves.
 */
export const testCaller: Interceptor = (next) => {
  const asAdmin = admin(next);
  const asShop = service(next);
  return (req) =>
    req.service.typeName === EventStoreService.typeName ? asAdmin(req) : asShop(req);
};
