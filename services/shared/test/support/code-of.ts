import { type Code, ConnectError } from "@connectrpc/connect";

/** The Connect code a call ends with, or "ok": lets a test assert outcomes in one line. */
export async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}
