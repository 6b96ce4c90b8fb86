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
import { lazyFields } from "../lazy-fields.js";
import { type NodeHeaderObject, webHeaders } from "./http2-headers.js";
import { requestHeaders } from "./request-headers.js";
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
  return new LazySignalContext(init);
}

/**
 * One object per call, its accessors on the prototype: an object literal with getters and
 * closures over the call's state cost five closures and a context object on every call.
 */
class LazySignalContext implements CallContext {
  readonly method: CallContext["method"];
  readonly service: CallContext["service"];
  readonly requestMethod = "POST";
  readonly protocolName: string;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly values = createContextValues();
  readonly #init: CallContextInit;
  readonly #deadline: number | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ended: { reason: unknown } | undefined;
  #url: string | undefined;

  constructor(init: CallContextInit) {
    this.#init = init;
    this.#deadline = init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs;
    this.method = init.spec.method;
    this.service = init.spec.method.parent;
    this.protocolName = init.protocolName;
    this.requestHeader = requestHeaders(init.requestHeader);
    this.responseHeader = webHeaders(init.responseHeader);
    this.responseTrailer = webHeaders(init.responseTrailer);
  }

  get url(): string {
    this.#url ??= this.#init.url();
    return this.#url;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const deadline = this.#deadline;
    this.#controller = new AbortController();
    if (this.#ended) this.#controller.abort(this.#ended.reason);
    else if (deadline !== undefined && Date.now() >= deadline) this.abort(timedOut());
    else {
      if (deadline !== undefined)
        this.#timer = setTimeout(() => this.abort(timedOut()), deadline - Date.now());
      this.#init.watchRequest((reason) => this.abort(reason));
    }
    return this.#controller.signal;
  }

  /** A function of its own, as connect's is: it may be called apart from the context. */
  get timeoutMs(): () => number | undefined {
    const deadline = this.#deadline;
    return () => (deadline === undefined ? undefined : deadline - Date.now());
  }

  // The first abort wins, as with connect's linked controller; a deadline that has passed
  // counts as first even if its timer has not run (or was never armed).
  abort(reason: unknown): void {
    if (this.#ended) return;
    const deadline = this.#deadline;
    this.#ended = {
      reason: deadline !== undefined && Date.now() >= deadline ? timedOut() : reason,
    };
    clearTimeout(this.#timer);
    this.#controller?.abort(this.#ended.reason);
  }
}

function timedOut() {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

const CONTEXT = Symbol("call context");

/** The request's url and signal, the context's, read only when asked. */
const withRequestGetters = lazyFields<
  { [CONTEXT]: CallContext },
  Pick<UnaryRequest, "url" | "signal">
>({
  url() {
    return this[CONTEXT].url;
  },
  signal() {
    return this[CONTEXT].signal;
  },
});

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
  const request: UnaryRequest = withRequestGetters({
    stream: false as const,
    message: input,
    method: spec.method,
    requestMethod: context.requestMethod,
    header: context.requestHeader,
    service: spec.method.parent,
    contextValues: context.values,
    [CONTEXT]: context,
  });
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
  // Spelled out: a spread would not copy the context's accessors and methods, which live on
  // its prototype.
  return {
    method: context.method,
    service: req.service,
    requestMethod: context.requestMethod,
    protocolName: context.protocolName,
    url: context.url,
    signal: req.signal,
    timeoutMs: context.timeoutMs,
    requestHeader: req.header,
    responseHeader: context.responseHeader,
    responseTrailer: context.responseTrailer,
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
