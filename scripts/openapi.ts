/**
 * Prints the gateway's OpenAPI document (what `GET /openapi.json` serves) without starting any
 * server, for `npm run lint` to run the Redocly linter on it.
 */
import { buildOpenApi } from "../gateway/src/openapi.js";
import { deriveRoutes } from "../gateway/src/routes.js";
import { serviceBindings } from "../gateway/src/services.js";
import { compileTranscoder } from "../gateway/src/transcode.js";

const transcoders = deriveRoutes(serviceBindings).map(compileTranscoder);
process.stdout.write(`${JSON.stringify(buildOpenApi(transcoders, "1.0.0"), null, 2)}\n`);
