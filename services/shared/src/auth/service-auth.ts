import type { Interceptor } from "@connectrpc/connect";
import type { z } from "zod";
import { exitOnConfigError } from "../config.js";
import { authSettings, type serviceAuthConfigShape } from "./config.js";
import { serviceCredentials } from "./identity.js";
import { createVerifier, type Verifier } from "./verifier.js";

/** A service's two halves of auth: checking its callers, and calling others as itself. */
export interface ServiceAuth {
  /** For `startServiceServer({ verifier })`. */
  readonly verifier: Verifier;
  /** For the `interceptors` of its clients of other services: calls made as service `name`. */
  readonly credentials: Interceptor;
}

/**
 * The auth of service `name` from its validated AUTH_* variables (`serviceAuthConfigShape`);
 * a combination no single variable can reject stops the process with one line.
 */
export function loadServiceAuth(
  config: z.infer<z.ZodObject<typeof serviceAuthConfigShape>>,
  name: string,
): ServiceAuth {
  const settings = exitOnConfigError(() => authSettings(config));
  return {
    verifier: createVerifier(settings),
    credentials: serviceCredentials(name, settings.serviceSecret as Uint8Array),
  };
}
