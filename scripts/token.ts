/**
 * `npm run --silent token -- --user <id> [--admin] [--expires-in 12h]`: prints a bearer token for
 * a local user, signed with the development secret `npm start` gives every process, and nothing
 * else, so `TOKEN=$(npm run --silent token -- --user alice)` works in a shell.
 */
import { parseArgs } from "node:util";
import { mintDevToken } from "./dev-auth.js";

const usage = "usage: npm run --silent token -- --user <id> [--admin] [--expires-in 12h]";
try {
  const { values } = parseArgs({
    options: {
      user: { type: "string" },
      admin: { type: "boolean", default: false },
      "expires-in": { type: "string", default: "12h" },
    },
  });
  if (!values.user) throw new Error("--user is required");
  const token = await mintDevToken(values.user, {
    admin: values.admin,
    expiresIn: values["expires-in"],
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}
