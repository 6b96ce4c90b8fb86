import type { Duplex } from "node:stream";

const statusText: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * A `clientError` listener for the gateway's servers: a request node's HTTP parser refuses (a
 * broken request line, oversized headers, a timeout) still gets the Connect error shape, and
 * the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : 400;
  const code =
    status === 400
      ? "invalid_argument"
      : status === 431
        ? "resource_exhausted"
        : "deadline_exceeded";
  const body = JSON.stringify({
    code,
    message: "malformed or incomplete HTTP request",
    details: [],
  });
  const head = `HTTP/1.1 ${status} ${statusText[status]}\r\ncontent-type: application/json\r\n`;
  socket.end(
    `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
