import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServerReflection } from "#gen/grpc/reflection/v1/reflection_pb";
import { Health } from "#gen/health/v1/health_pb";
import { ANONYMOUS } from "#shared/auth/caller";
import { checkCaller, type Rule, readRules, ruleOf } from "#shared/auth/rules";
import { challenge, type Verifier } from "#shared/auth/verifier";
import { HttpError } from "./errors.js";
import type { Exchange } from "./exchange.js";

/**
 * The gateway's part of auth: it authenticates, the services authorize. It verifies the bearer
 * token with the services' own verifier (so the two cannot disagree on a token), answers 401
 * early when the token is bad or an RPC that is not PUBLIC is called without one, leaves the
 * verified caller on the exchange (`exchange.caller`, e.g. for rate limits) and forwards the
 * header so each service applies the RPC's access rule itself, 403s included.
 */
export interface GatewayAuth {
  /**
   * Verifies the caller of `rpc` and records it on `exchange`; resolves the `authorization`
   * value to forward (undefined for an anonymous caller). Rejects with a 401 HttpError carrying
   * `WWW-Authenticate`, or 503 when the key set cannot be fetched.
   */
  authenticate(
    exchange: Exchange,
    authorization: string | undefined,
    rpc: DescMethod,
  ): Promise<string | undefined>;
  /** An upstream's Unauthenticated as a 401 with its `WWW-Authenticate`; anything else as is. */
  answer(error: unknown): never;
}

export function createGatewayAuth(verifier: Verifier): GatewayAuth {
  // Health and reflection are as public here as on the services (readRules says why).
  const rules = readRules([], [Health, ServerReflection]);
  const ruleFor = (rpc: DescMethod): Rule => {
    let rule = rules.get(rpc);
    if (!rule) {
      rule = ruleOf(rpc);
      rules.set(rpc, rule);
    }
    return rule;
  };
  return {
    async authenticate(exchange, authorization, rpc) {
      try {
        exchange.caller = await verifier.verify(authorization);
        // 401 only: who may do what beyond "someone" is the service's call (403s come from there).
        const refused = checkCaller(ruleFor(rpc), exchange.caller);
        if (refused?.code === Code.Unauthenticated) throw refused;
      } catch (error) {
        exchange.caller = ANONYMOUS;
        throw unauthorized(error);
      }
      return authorization;
    },
    answer(error) {
      throw unauthorized(error);
    },
  };
}

function unauthorized(error: unknown): unknown {
  if (!(error instanceof ConnectError) || error.code !== Code.Unauthenticated) return error;
  if (error instanceof HttpError) return error;
  const header = error.metadata.get("www-authenticate") ?? challenge();
  return new HttpError(401, Code.Unauthenticated, error.rawMessage, { "www-authenticate": header });
}
