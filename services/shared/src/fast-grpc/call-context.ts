import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { type NodeHeaderObject, webHeaders } from "./http2-headers.js";
import type { UnarySpec } from "./unary-handler.js";

/** What the short paths know of a call when its headers arrive. */
export interface CallContextInit {
  readonly spec: UnarySpec;
  readonly protocolName: string;
  /** The request's `grpc-timeout` / `connect-timeout-ms`, if any. */
  readonly timeoutMs: number | undefined;
  /** The request's Node headers, read in place (pseudo-headers left out). */
  readonly requestHeader: NodeHeaderObject;
  readonly responseHeader: NodeHeaderObject;
  readonly responseTrailer?: NodeHeaderObject;
  /** The request URL, made when something first reads it. */
  readonly url: () => string;
  /**
   * Hooks `abort` to the end of the request (connect-node's request signal), when something
   * first reads the call's signal; if the request has already ended, calls it at once.
   */
  readonly watchRequest: (abort: (reason: unknown) => void) => void;
}

/** A handler context, and the call's end: `abort` with the reason (a success ends with CALL_ENDED). */
export type CallContext = HandlerContext & { abort(reason: unknown): void };

/**
 * The handler context connect 2.2.0's `createHandlerContext` makes for a request, with its
 * signal made only when something reads it: connect links three AbortControllers (deadline,
 * request, call), arms a timer and dispatches abort events on every call, though a unary
 * handler that never looks at its signal cannot tell. Read, the signal is connect's: aborted
 * with DeadlineExceeded ("the operation timed out") when the deadline passes, with the request
 * signal's reason when the request ends first, or with the reason given to `abort`, whichever
 * came first — also when it is read after the fact.
 */
export function createCallContext(init: CallContextInit): CallContext {
  const deadline = init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ended: { reason: unknown } | undefined;
  let url: string | undefined;

  // The first abort wins, as with connect's linked controller; a deadline that has passed
  // counts as first even if its timer has not run (or was never armed).
  const abort = (reason: unknown) => {
    if (ended) return;
    ended = { reason: deadline !== undefined && Date.now() >= deadline ? timedOut() : reason };
    clearTimeout(timer);
    controller?.abort(ended.reason);
  };
  const signal = () => {
    if (controller) return controller.signal;
    controller = new AbortController();
    if (ended) controller.abort(ended.reason);
    else if (deadline !== undefined && Date.now() >= deadline) abort(timedOut());
    else {
      if (deadline !== undefined)
        timer = setTimeout(() => abort(timedOut()), deadline - Date.now());
      init.watchRequest(abort);
    }
    return controller.signal;
  };
  return {
    method: init.spec.method,
    service: init.spec.method.parent,
    requestMethod: "POST",
    protocolName: init.protocolName,
    get url() {
      url ??= init.url();
      return url;
    },
    get signal() {
      return signal();
    },
    timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    requestHeader: webHeaders(init.requestHeader),
    responseHeader: webHeaders(init.responseHeader),
    responseTrailer: webHeaders(init.responseTrailer),
    values: createContextValues(),
    abort,
  };
}

function timedOut() {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

/**
 * connect 2.2.0's `invokeUnaryImplementation`: the interceptors around the implementation, its
 * answer normalised to the output message, and the response headers and trailers an
 * interceptor swapped copied back into the context. The request the interceptors see reads the
 * context's url and signal only when asked; a handler given that same request gets the context
 * itself (connect makes a copy of it, with the same values).
 */
export async function invokeUnary(
  spec: UnarySpec,
  context: CallContext,
  input: MessageShape<DescMessage>,
  interceptors: readonly Interceptor[],
): Promise<MessageShape<DescMessage>> {
  const request: UnaryRequest = {
    stream: false,
    message: input,
    method: spec.method,
    requestMethod: context.requestMethod,
    get url() {
      return context.url;
    },
    get signal() {
      return context.signal;
    },
    header: context.requestHeader,
    service: spec.method.parent,
    contextValues: context.values,
  };
  let next = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const handlerContext = req === request ? context : mergeRequest(context, req);
    return {
      message: create(spec.method.output, await spec.impl(req.message, handlerContext)),
      stream: false,
      method: spec.method,
      service: spec.method.parent,
      header: context.responseHeader,
      trailer: context.responseTrailer,
    };
  };
  for (let i = interceptors.length - 1; i >= 0; i--)
    next = (interceptors[i] as Interceptor)(next as never) as typeof next;
  const { message, header, trailer } = await next(request);
  copyHeaders(header, context.responseHeader);
  copyHeaders(trailer, context.responseTrailer);
  return message;
}

/** connect's handler context for a request an interceptor replaced. */
function mergeRequest(context: CallContext, req: UnaryRequest): HandlerContext {
  return {
    ...context,
    service: req.service,
    requestHeader: req.header,
    signal: req.signal,
    values: req.contextValues,
  };
}

function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  to.forEach((_, key) => {
    to.delete(key);
  });
  from.forEach((value, key) => {
    to.set(key, value);
  });
}
