import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from "../../../scripts/node-flags.js";

// The image runs the services as `npm start` and the bench do: the memory bounds measured there
// (issue 11: under 150 MB of RSS under load) hold for what is deployed only with the same settings.
const dockerfile = readFileSync(new URL("../../../Dockerfile", import.meta.url), "utf8");
const runtimeEnv = dockerfile.slice(dockerfile.lastIndexOf("FROM ")).match(/^ENV .*$/gm) ?? [];

describe("the services' process settings", () => {
  it("are the runtime image's too", () => {
    const env = runtimeEnv.join(" ");
    expect(env).toContain(`NODE_OPTIONS="${SERVICE_NODE_FLAGS.join(" ")}"`);
    for (const [name, value] of Object.entries(serviceProcessEnv({}))) {
      expect(env).toMatch(new RegExp(`\\b${name}=${value}\\b`));
    }
  });

  it("leave a setting the environment already has as it is", () => {
    expect(serviceProcessEnv({})).toEqual({ MALLOC_ARENA_MAX: "2" });
    expect(serviceProcessEnv({ MALLOC_ARENA_MAX: "8" })).toEqual({ MALLOC_ARENA_MAX: "8" });
  });
});
