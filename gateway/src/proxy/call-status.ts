import type http2 from "node:http2";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Code } from "@connectrpc/connect";
import {
  codeFromString,
  codeFromHttpStatus as connectCodeOfStatus,
  endStreamFlag,
} from "@connectrpc/connect/protocol-connect";
import { codeFromHttpStatus as grpcCodeOfStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import type { RpcWireForm } from "#shared/rpc/wire-errors";

/** A call's final code: 0 for OK, else a Connect code. */
export type CallCode = Code | 0;

/** An error body or end frame larger than this is not read for its code (the status decides). */
const MAX_STATUS_BYTES = 64 * 1024;
const ENVELOPE_HEADER = 5;
const COMPRESSED = 0x01;

/**
 * Reads how a proxied call ended, in each protocol's own way, from the response bytes the proxy
 * passes through (it never holds them back):
 * - gRPC: `grpc-status` in the trailers, or in the headers of a trailers-only answer;
 * - gRPC-Web: the trailer frame (flag 0x80) at the end of the body, or trailers-only headers;
 * - Connect unary: the HTTP status, refined by the `code` of the error JSON;
 * - Connect streaming: the end-stream message (flag 0x02) and its `error.code`.
 * An answer that says nothing readable counts by its HTTP status as the protocol's clients
 * would. It also knows where the enveloped messages of a streamed body begin and end, so the
 * gateway can stop a stream between two messages (`boundary`).
 */
export class CallStatus {
  private httpStatus = 0;
  private headerCode: CallCode | undefined;
  private trailerCode: CallCode | undefined;
  /** Bytes still missing from the envelope being read; -1 while its header is incomplete. */
  private left = 0;
  private header = Buffer.alloc(0);
  private flags = 0;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private encoding: string | undefined;
  /** Whether the body is read as enveloped messages (not for grpc-web-text or unary). */
  readonly framed: boolean;
  private readonly enders: number;

  constructor(private readonly form: RpcWireForm) {
    // grpc-web-text bodies are base64: their frames are not read (the status headers still are).
    this.framed = form.protocol !== "connect-unary" && !(form.protocol === "grpc-web" && form.text);
    this.enders = form.protocol === "connect-stream" ? endStreamFlag : trailerFlag;
  }

  /** The response headers; `grpc-status` there is a trailers-only answer's status. */
  headers(httpStatus: number, headers: http2.IncomingHttpHeaders): void {
    this.httpStatus = httpStatus;
    this.headerCode = grpcCode(headers["grpc-status"]);
    const encoding = headers["connect-content-encoding"] ?? headers["grpc-encoding"];
    this.encoding = Array.isArray(encoding) ? encoding[0] : encoding;
  }

  /** The HTTP/2 trailers (gRPC). */
  trailers(trailers: http2.IncomingHttpHeaders): void {
    this.trailerCode = grpcCode(trailers["grpc-status"]) ?? this.trailerCode;
  }

  /**
   * One chunk of the response body, as it passes. Returns how many of its bytes end at the end
   * of a whole message (0: none does), for a gateway that wants to stop between messages.
   */
  data(chunk: Buffer): number {
    if (this.form.protocol === "connect-unary") {
      if (this.httpStatus !== 200) this.keep(chunk);
      return chunk.length;
    }
    if (!this.framed) return 0;
    let boundary = 0;
    for (let at = 0; at < chunk.length; ) {
      if (this.left <= 0) {
        const need = ENVELOPE_HEADER - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + need)]);
        at += Math.min(need, chunk.length - at);
        if (this.header.length < ENVELOPE_HEADER) {
          this.left = -1;
          break;
        }
        this.flags = this.header[0] as number;
        this.left = this.header.readUInt32BE(1);
        this.header = Buffer.alloc(0);
        if (this.left === 0) this.endFrame(Buffer.alloc(0));
        if (this.left === 0) boundary = at;
        continue;
      }
      const take = Math.min(this.left, chunk.length - at);
      if ((this.flags & this.enders) !== 0) this.keep(chunk.subarray(at, at + take));
      at += take;
      this.left -= take;
      if (this.left === 0) {
        this.endFrame(Buffer.concat(this.kept));
        boundary = at;
      }
    }
    return boundary;
  }

  /** True between two messages of a framed body (or before the first). */
  get atBoundary(): boolean {
    return this.framed && this.left === 0 && this.header.length === 0;
  }

  /** The call's final code once the response ended; undefined when nothing says (cut short). */
  code(): CallCode | undefined {
    switch (this.form.protocol) {
      case "grpc":
        return this.trailerCode ?? this.headerCode ?? this.byHttpStatus();
      case "grpc-web":
        return this.headerCode ?? this.trailerCode ?? this.byHttpStatus();
      case "connect-unary":
        if (this.httpStatus === 200) return 0;
        return this.errorJsonCode(Buffer.concat(this.kept)) ?? connectCodeOfStatus(this.httpStatus);
      case "connect-stream":
        return this.trailerCode ?? (this.httpStatus === 200 ? undefined : this.byHttpStatus());
    }
  }

  private byHttpStatus(): CallCode | undefined {
    if (this.httpStatus === 0) return undefined;
    if (this.form.protocol === "connect-stream") return connectCodeOfStatus(this.httpStatus);
    // gRPC's rule for an answer without a status: HTTP 200 alone says nothing.
    return this.httpStatus === 200 ? undefined : grpcCodeOfStatus(this.httpStatus);
  }

  private endFrame(frame: Buffer): void {
    const ender = (this.flags & this.enders) !== 0;
    this.kept = [];
    this.keptBytes = 0;
    if (!ender) return;
    const body = (this.flags & COMPRESSED) === 0 ? frame : decompress(frame, this.encoding);
    if (this.form.protocol === "connect-stream") {
      // {"error": {"code": "unavailable", …}, "metadata": …}; no error is OK.
      const parsed = parseJson(body) as { error?: { code?: unknown } } | undefined;
      const code = parsed?.error?.code;
      this.trailerCode =
        parsed === undefined
          ? Code.Unknown
          : parsed.error === undefined
            ? 0
            : ((typeof code === "string" ? codeFromString(code) : undefined) ?? Code.Unknown);
      return;
    }
    this.trailerCode = grpcCode(trailerParse(body).get("grpc-status") ?? undefined);
  }

  private errorJsonCode(body: Buffer): Code | undefined {
    const code = (parseJson(body) as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? codeFromString(code) : undefined;
  }

  private keep(bytes: Buffer): void {
    if (this.keptBytes + bytes.length > MAX_STATUS_BYTES) return;
    this.kept.push(bytes);
    this.keptBytes += bytes.length;
  }
}

/** A compressed frame's body, or an empty one when the encoding is not known (then unreadable). */
function decompress(frame: Buffer, encoding: string | undefined): Buffer {
  try {
    if (encoding === "gzip") return gunzipSync(frame);
    if (encoding === "br") return brotliDecompressSync(frame);
  } catch {}
  return Buffer.alloc(0);
}

function grpcCode(value: string | string[] | undefined): CallCode | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,2}$/.test(text)) return undefined;
  const code = Number(text);
  // Codes beyond the table (17+) are Unknown, as gRPC clients read them.
  return code <= 16 ? (code as CallCode) : Code.Unknown;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}
