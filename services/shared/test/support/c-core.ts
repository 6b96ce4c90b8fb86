import { execFile, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const python = "/usr/bin/python3";
const script = fileURLToPath(new URL("./c_core_unary.py", import.meta.url));

/** Whether Debian's python3-grpcio (gRPC C-core) is installed: tests that need it skip if not. */
export const cCoreAvailable = (() => {
  try {
    execFileSync(python, ["-c", "import grpc"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** What a C-core client hears from a unary call of each path (empty message) at `address`. */
export async function cCoreUnary(
  address: string,
  paths: readonly string[],
): Promise<{ path: string; code: string; details: string }[]> {
  const { stdout } = await promisify(execFile)(python, [script, address, ...paths], {
    timeout: 30_000,
  });
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}
