import { type DescMethod, type DescService, getOption, ScalarType } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Access, Audience, access } from "#gen/shop/auth/v1/auth_pb";
import type { Caller } from "./caller.js";
import { challenge } from "./verifier.js";

/** An RPC's access rule, ready to apply: its audience and, for owner rules, the owner field. */
export interface Rule {
  readonly audience: Audience;
  /** The request field (its TypeScript name) holding the owning user id, if any. */
  readonly ownerField?: string;
}

/** No rule declared: nobody may call. */
export const NOBODY: Rule = { audience: Audience.UNSPECIFIED };
const PUBLIC: Rule = { audience: Audience.PUBLIC };

/**
 * The rule of every method of `services`, read from its `(shop.auth.v1.access)` option; the
 * methods of `publicServices` (gRPC health, reflection: no data, only what /health and the
 * OpenAPI document already show) are PUBLIC. Throws at start-up when an owner field does not
 * name a string field of the request.
 */
export function readRules(
  services: readonly DescService[],
  publicServices: readonly DescService[] = [],
): Map<DescMethod, Rule> {
  const rules = new Map<DescMethod, Rule>();
  for (const service of publicServices) {
    for (const method of service.methods) rules.set(method, PUBLIC);
  }
  for (const service of services) {
    for (const method of service.methods) rules.set(method, ruleOf(method));
  }
  return rules;
}

/** One method's rule from its option (UNSPECIFIED when it declares none). */
export function ruleOf(method: DescMethod): Rule {
  const option: Access = getOption(method, access);
  if (option.audience === Audience.UNSPECIFIED) return NOBODY;
  if (option.audience !== Audience.OWNER || option.ownerField === "") {
    return { audience: option.audience };
  }
  const field = method.input.fields.find((candidate) => candidate.name === option.ownerField);
  if (field?.fieldKind !== "scalar" || field.scalar !== ScalarType.STRING) {
    throw new Error(
      `${method.parent.typeName}.${method.name}: owner_field "${option.ownerField}" is not a string field of ${method.input.typeName}`,
    );
  }
  return { audience: option.audience, ownerField: field.localName };
}

/**
 * Whether `caller` may make a call under `rule`, before the request message is looked at:
 * Unauthenticated for an anonymous caller of anything but a PUBLIC RPC, PermissionDenied for
 * a caller of the wrong kind. Owner fields are checked by `checkOwner` per message.
 *
 * | audience  | anonymous | user              | admin user        | service |
 * | PUBLIC    | yes       | yes               | yes               | yes     |
 * | OWNER     | 401       | own data only     | own data only     | yes     |
 * | ADMIN     | 401       | 403               | yes               | 403     |
 * | SERVICE   | 401       | 403               | 403               | yes     |
 * | none      | 401       | 403               | 403               | 403     |
 */
export function checkCaller(rule: Rule, caller: Caller): ConnectError | undefined {
  if (rule.audience === Audience.PUBLIC) return undefined;
  if (caller.kind === "anonymous") return needsToken();
  switch (rule.audience) {
    case Audience.OWNER:
      return undefined;
    case Audience.ADMIN:
      return caller.kind === "user" && caller.admin ? undefined : denied("needs the admin role");
    case Audience.SERVICE:
      return caller.kind === "service" ? undefined : denied("is internal to the shop's services");
    default:
      return denied("is not open to anyone (it declares no access rule)");
  }
}

/** PermissionDenied unless a user caller is the owner named in `message` (services pass). */
export function checkOwner(rule: Rule, caller: Caller, message: object): ConnectError | undefined {
  if (!rule.ownerField || caller.kind !== "user") return undefined;
  const owner = (message as Record<string, unknown>)[rule.ownerField];
  if (owner === caller.subject) return undefined;
  return new ConnectError(
    `user ${caller.subject} may not access the data of user ${JSON.stringify(owner)}`,
    Code.PermissionDenied,
  );
}

function needsToken(): ConnectError {
  return new ConnectError("this call needs a bearer token", Code.Unauthenticated, {
    "www-authenticate": challenge(),
  });
}

function denied(why: string): ConnectError {
  return new ConnectError(`this call ${why}`, Code.PermissionDenied);
}
