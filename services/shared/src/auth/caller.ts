import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * Who is calling, once their credential is verified. A user's `subject` is the token's `sub`
 * (the shop's user id); `admin` is true when its `roles` claim holds "admin". A service is one
 * of ours, by name (`payment`), holding a service token no user can obtain (identity.ts).
 */
export type Caller =
  | { readonly kind: "anonymous" }
  | { readonly kind: "user"; readonly subject: string; readonly admin: boolean }
  | { readonly kind: "service"; readonly name: string };

export const ANONYMOUS: Caller = Object.freeze({ kind: "anonymous" });

/** Where the auth interceptor leaves the verified caller for the handler. */
export const callerKey = createContextKey<Caller>(ANONYMOUS, { description: "caller" });

/** The verified caller of the RPC being handled. */
export function callerOf(context: Pick<HandlerContext, "values">): Caller {
  return context.values.get(callerKey);
}

/** The label logs and rate limits use: `user:alice`, `service:payment`, or undefined. */
export function callerLabel(caller: Caller): string | undefined {
  if (caller.kind === "user") return `user:${caller.subject}`;
  if (caller.kind === "service") return `service:${caller.name}`;
  return undefined;
}

/**
 * For RPCs whose owner is only known from the stored record (a payment by id): throws
 * PermissionDenied unless the caller is that user or one of our services. An admin is no
 * exception — admin rights are the ADMIN RPCs, not other users' data.
 */
export function assertOwner(context: Pick<HandlerContext, "values">, owner: string, what: string) {
  const caller = callerOf(context);
  if (caller.kind === "service") return;
  if (caller.kind === "user" && caller.subject === owner) return;
  throw new ConnectError(`${what} belongs to another user`, Code.PermissionDenied);
}
