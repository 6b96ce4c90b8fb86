import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

/** A plain static web server on another origin than the gateway's. */
export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` as any static host would (`/` is index.html), for the page that
 * calls the gateway across origins. Files are read per request, so the build may land after start.
 */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const types: Record<string, string> = {
    js: "text/javascript",
    css: "text/css",
    html: "text/html",
  };
  const server = createServer(async (req, res) => {
    const path = normalize(req.url === "/" ? "/index.html" : (req.url ?? "/")).replace(
      /^(\.\.[/\\])+/,
      "",
    );
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, {
        "content-type": types[path.split(".").pop() ?? ""] ?? "application/octet-stream",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
