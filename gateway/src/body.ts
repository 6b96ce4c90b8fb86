import type { IncomingMessage } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { HttpError, invalidArgument } from "./errors.js";

const jsonType = /^application\/json\s*(;|$)/i;

/**
 * Reads a request body as JSON, refusing before parsing: a body over `limit` bytes (413, by the
 * Content-Length header when there is one) and a non-JSON Content-Type (415). Resolves
 * `undefined` when there is no body. A body without a Content-Type is taken as JSON.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
): Promise<JsonValue | undefined> {
  const length = req.headers["content-length"];
  const declared = length === undefined ? undefined : Number(length);
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  // HTTP/1.1 without Content-Length or chunking has no body; HTTP/2 may stream one regardless.
  const framed = req.headers["transfer-encoding"] !== undefined || req.httpVersionMajor >= 2;
  if (declared === 0 || (declared === undefined && !framed)) {
    return undefined;
  }
  const type = req.headers["content-type"];
  if (type !== undefined && !jsonType.test(type)) {
    throw new HttpError(
      415,
      Code.InvalidArgument,
      `unsupported Content-Type ${JSON.stringify(type.slice(0, 100))}: send application/json`,
    );
  }
  const bytes = await collect(req, limit);
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as JsonValue;
  } catch (error) {
    throw invalidArgument(
      `request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`,
    );
  }
}

function collect(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off("data", onData);
      reject(tooLarge(limit));
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks, size)));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(499, Code.Canceled, "client closed the request"));
    });
  });
}

function tooLarge(limit: number): HttpError {
  // Closing the connection spares reading the rest of a body nobody will use.
  return new HttpError(
    413,
    Code.ResourceExhausted,
    `request body exceeds the limit of ${limit} bytes`,
    {
      connection: "close",
    },
  );
}
