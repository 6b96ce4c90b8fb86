import http2 from "node:http2";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import { getAbortSignalReason } from "@connectrpc/connect/protocol";
import type { Http2Connection } from "./http2-connection.js";

/**
 * The outcome, deadline and cancellation of one unary call. It costs one timer when the call
 * has a deadline and one listener when it has a signal: no AbortController and no DOMException
 * unless an interceptor asks for the call's signal. A call cut short by its deadline
 * (DeadlineExceeded, "the operation timed out") or by the caller's signal (Canceled, or the
 * signal's ConnectError reason) rejects at once, as in connect's `runUnaryCall`, and cancels its
 * HTTP/2 stream.
 */
export class CallControl {
  readonly promise: Promise<UnaryResponse>;
  /** Settles the call with its response, unless it was already cut short. */
  readonly resolve: (response: UnaryResponse) => void;
  /** Settles the call with an error (as a ConnectError), unless it was already settled. */
  readonly reject: (reason: unknown) => void;
  /** True once the call has settled. */
  done = false;
  /** The error the call failed with, once it has. */
  failure: ConnectError | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    private readonly connection: Http2Connection,
  ) {
    const { promise, resolve, reject } = Promise.withResolvers<UnaryResponse>();
    this.promise = promise;
    this.resolve = (response) => {
      if (this.done) return;
      this.finish();
      resolve(response);
    };
    this.reject = (reason) => {
      if (this.done) return;
      this.failure = ConnectError.from(reason);
      this.finish();
      reject(this.failure);
    };
    if (callerSignal?.aborted) {
      this.handleEvent();
    } else {
      callerSignal?.addEventListener("abort", this);
      if (timeoutMs !== undefined) this.timer = setTimeout(onDeadline, timeoutMs, this);
    }
  }

  /** The stream that carries the call, cancelled if the call is cut short. */
  attach(stream: http2.ClientHttp2Stream): void {
    this.stream = stream;
  }

  /** The call's signal for interceptors: aborted when the call ends, as connect's is. */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(this.failure);
    }
    return this.controller.signal;
  }

  /** The caller's signal fired (an EventListener object saves a closure per call). */
  handleEvent(): void {
    const reason = getAbortSignalReason(this.callerSignal as AbortSignal);
    this.cut(ConnectError.from(reason, Code.Canceled));
  }

  cut(error: ConnectError): void {
    if (this.done) return;
    this.reject(error);
    if (this.stream && !this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  /** Checks the connection after a deadline: a dead one would time out every call after it. */
  verifyConnection(): void {
    this.connection.verify();
  }

  private finish(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this);
    // Connect aborts the call's signal when the call ends, also after a success.
    this.controller?.abort(this.failure);
  }
}

function onDeadline(control: CallControl): void {
  control.cut(new ConnectError("the operation timed out", Code.DeadlineExceeded));
  control.verifyConnection();
}
