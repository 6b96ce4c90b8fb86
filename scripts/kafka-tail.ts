/**
 * `npm run topic -- <topic> [--from-now]` (or `scripts/kafka.sh tail`): prints every message of a
 * topic as it arrives — partition, offset, key, headers (ce_*, traceparent, dlq_*) and the value —
 * from the beginning unless `--from-now`. Reads without committing; Ctrl-C stops it.
 */
import { parseArgs } from "node:util";
import type { ReceivedMessage } from "#shared/kafka/consumer";
import { tailTopic } from "#shared/kafka/tail";
import { toolKafka } from "./tool-kafka.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { "from-now": { type: "boolean", default: false } },
});
const [topic] = positionals;
if (topic === undefined || positionals.length > 1) {
  console.error("usage: npm run topic -- <topic> [--from-now]");
  process.exit(2);
}

const { kafka, brokers } = toolKafka("topic-tail", "error");

function print(message: ReceivedMessage): void {
  const time = new Date(Number(message.timestamp)).toISOString();
  const headers = Object.entries(message.headers).map(([name, value]) => `${name}=${value}`);
  console.log(
    `${message.topic}[${message.partition}]@${message.offset} key=${message.key} ${time}`,
  );
  if (headers.length > 0) console.log(`  ${headers.join(" ")}`);
  console.log(`  ${message.value ?? "(no value)"}`);
}

const tail = await tailTopic(kafka, { topic, fromBeginning: !values["from-now"] }, print);
console.error(`tailing ${topic} on ${brokers}; Ctrl-C stops`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void tail.stop().then(() => process.exit(0)));
}
