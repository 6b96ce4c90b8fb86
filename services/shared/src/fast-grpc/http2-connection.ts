import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** One HTTP/2 connection to an origin that reopens itself on demand. */
export interface Http2Connection {
  /**
   * The `:authority` and `:scheme` node's session would add to a request lacking them, so a
   * caller can send them itself (node's array form of request headers then copies nothing).
   */
  readonly authority: string;
  readonly scheme: string;
  /**
   * Opens a stream on the current session, connecting first when there is none or the last one
   * closed, failed or received GOAWAY. Throws what `session.request` throws for bad headers.
   */
  request(headers: http2.OutgoingHttpHeaders | string[]): http2.ClientHttp2Stream;
  /**
   * Asks the session for a PING after a call timed out: a session that does not answer within
   * `pingTimeoutMs` is destroyed, so the next call connects afresh instead of waiting on a dead
   * socket until TCP gives up (minutes).
   */
  verify(): void;
  /** Destroys the session (calls in flight fail) and refuses further requests. */
  close(): void;
}

/** Node's errors for a session that can take no new stream: open another one. */
const SESSION_GONE = new Set([
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_OUT_OF_STREAMS",
]);

type Session = { readonly session: http2.ClientHttp2Session; active: number; pinging: boolean };

/**
 * A lazily opened HTTP/2 session to `baseUrl`'s origin, shared by every call. The socket keeps
 * the process alive only while streams are open, so an idle client never blocks exit.
 */
export function createHttp2Connection(baseUrl: string, pingTimeoutMs: number): Http2Connection {
  const url = new URL(baseUrl);
  const origin = url.origin;
  let current: Session | undefined;
  let closed = false;

  const open = (): Session => {
    const state: Session = { session: http2.connect(origin), active: 0, pinging: false };
    const forget = () => {
      if (current === state) current = undefined;
    };
    // Every stream reports the failure itself; an unheard 'error' would crash the process.
    state.session.on("error", () => {});
    state.session.once("goaway", forget);
    state.session.once("close", forget);
    state.session.unref();
    current = state;
    return state;
  };
  const usable = (): Session =>
    current && !current.session.closed && !current.session.destroyed ? current : open();

  return {
    ...sessionAuthority(url),
    request(headers) {
      if (closed) throw new ConnectError("upstream unavailable: client closed", Code.Unavailable);
      let state = usable();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = state.session.request(headers);
      } catch (error) {
        if (!SESSION_GONE.has((error as { code?: string }).code ?? "")) throw error;
        current = undefined;
        state = open();
        stream = state.session.request(headers);
      }
      track(state, stream);
      return stream;
    },
    verify() {
      if (current && !current.pinging && !current.session.connecting) ping(current, pingTimeoutMs);
    },
    close() {
      closed = true;
      current?.session.destroy();
      current = undefined;
    },
  };
}

/**
 * What `http2.connect(origin)` sets as the session's default `:authority` and `:scheme` (node
 * 24's `connect`: the host name without IPv6 brackets, the port or the scheme's default).
 */
export function sessionAuthority(url: URL): { authority: string; scheme: string } {
  const host = url.hostname.startsWith("[")
    ? url.hostname.slice(1, -1)
    : url.hostname || "localhost";
  const port = url.port !== "" ? url.port : url.protocol === "http:" ? "80" : "443";
  return { authority: `${host}:${port}`, scheme: url.protocol.slice(0, -1) };
}

/** Holds a reference on the socket while `stream` is open. */
function track(state: Session, stream: http2.ClientHttp2Stream): void {
  if (state.active++ === 0) state.session.ref();
  stream.once("close", () => {
    if (--state.active === 0 && !state.session.destroyed) state.session.unref();
  });
}

function ping(state: Session, timeoutMs: number): void {
  const { session } = state;
  state.pinging = true;
  const timer = setTimeout(() => session.destroy(), timeoutMs).unref();
  try {
    session.ping((error) => {
      clearTimeout(timer);
      state.pinging = false;
      if (error) session.destroy();
    });
  } catch {
    // The session died meanwhile; the next call opens a new one anyway.
    clearTimeout(timer);
    state.pinging = false;
  }
}
