import type { DescService } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { type Caller, callerKey } from "./caller.js";
import { checkCaller, checkOwner, NOBODY, type Rule, readRules } from "./rules.js";
import type { Verifier } from "./verifier.js";

/**
 * The services' one auth check, registered by the shared server for every protocol and for
 * the unary gRPC fast path alike: verifies the `authorization` header (gRPC metadata, or the
 * HTTP header of Connect and gRPC-Web), applies the RPC's `(shop.auth.v1.access)` rule, and
 * leaves the caller in the context values (`callerOf(context)`) for checks on stored records.
 * Owner fields are checked on each request message, streams included, before the handler
 * sees it. An RPC that declares no rule, or is unknown to the rule table, is refused.
 */
export function authInterceptor(
  verifier: Verifier,
  services: readonly DescService[],
  publicServices: readonly DescService[] = [],
): Interceptor {
  const rules = readRules(services, publicServices);
  return (next) => async (req) => {
    const rule = rules.get(req.method) ?? NOBODY;
    const caller = await verifier.verify(req.header.get("authorization"));
    const refused = checkCaller(rule, caller);
    if (refused) throw refused;
    req.contextValues.set(callerKey, caller);
    if (!rule.ownerField) return next(req);
    if (req.stream) return next({ ...req, message: owned(req.message, rule, caller) });
    const notOwner = checkOwner(rule, caller, req.message);
    if (notOwner) throw notOwner;
    return next(req);
  };
}

async function* owned<T extends object>(messages: AsyncIterable<T>, rule: Rule, caller: Caller) {
  for await (const message of messages) {
    const notOwner = checkOwner(rule, caller, message);
    if (notOwner) throw notOwner;
    yield message;
  }
}
