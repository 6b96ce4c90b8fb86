/**
 * `npm run kafka:replay -- <topic>.dlq`: once the cause of a dead letter is fixed and deployed,
 * sends every message of that dead-letter topic not replayed before back to the topic it came
 * from, as first sent (see `replayDeadLetters`), and says how many went where.
 */
import { parseArgs } from "node:util";
import { REPLAY_GROUP, replayDeadLetters } from "#shared/kafka/replay";
import { toolKafka } from "./tool-kafka.js";

const { positionals } = parseArgs({ allowPositionals: true });
const [dlq] = positionals;
if (dlq === undefined || positionals.length > 1 || !dlq.endsWith(".dlq")) {
  console.error("usage: npm run kafka:replay -- <topic>.dlq");
  process.exit(2);
}

const { kafka } = toolKafka("dlq-replay", "error");
const sent = Object.entries(await replayDeadLetters(kafka, dlq));
const total = sent.reduce((sum, [, count]) => sum + count, 0);
const where = sent.map(([topic, count]) => `${count} to ${topic}`).join(", ");
console.log(
  total === 0
    ? `${dlq}: nothing to replay (empty, or every message was sent back before; group ${REPLAY_GROUP})`
    : `${dlq}: sent back ${total} message(s): ${where}`,
);
