/**
 * The CloudEvents Kafka protocol binding, binary content mode (SPEC §6): attributes travel as
 * `ce_*` headers, the value is the event's JSON payload itself, so any Kafka CLI shows it as is.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 */

/** One event as the project publishes and consumes it. */
export interface CloudEvent {
  /** Unique per event; consumers deduplicate by it. */
  readonly id: string;
  /** e.g. `shop.payment.v1.PaymentCompleted`. */
  readonly type: string;
  /** The producing service, e.g. `/payment`. */
  readonly source: string;
  /** When it happened, RFC 3339. */
  readonly time: string;
  readonly subject?: string | undefined;
  /** The aggregate id (payment, product, user): the message key, so order holds per aggregate. */
  readonly key: string;
  /** The payload as JSON text (protobuf JSON of an `shop.events.v1` message). */
  readonly payload: string;
  /** W3C trace context of the change that produced the event. */
  readonly traceparent?: string | undefined;
}

/** A message to hand to the producer: what the binding puts on the wire. */
export interface EncodedMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A received message's parts that decoding looks at; headers as the client delivers them. */
export interface RawMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** A message that is not a CloudEvent this project can read: no retry will help (a poison message). */
export class UndecodableMessageError extends Error {
  override name = "UndecodableMessageError";
  readonly code = "UNDECODABLE_MESSAGE";
}

const SPEC_VERSION = "1.0";
const JSON_CONTENT_TYPE = "application/json";
const REQUIRED = ["ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion", "content-type"];

/** The Kafka message for `event`: key = aggregate id, value = payload, attributes as headers. */
export function encodeCloudEvent(event: CloudEvent): EncodedMessage {
  const headers: Record<string, string> = {
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_time: event.time,
    ce_specversion: SPEC_VERSION,
    "content-type": JSON_CONTENT_TYPE,
  };
  if (event.subject !== undefined) headers.ce_subject = event.subject;
  if (event.traceparent !== undefined) headers.traceparent = event.traceparent;
  return { key: event.key, value: event.payload, headers };
}

/**
 * The event in a received message. Throws UndecodableMessageError, naming what is wrong, when a
 * required header is missing, the spec version or content type is not ours, or the key or value
 * is missing or the value is not JSON.
 */
export function decodeCloudEvent(message: RawMessage): CloudEvent {
  const headers = headerStrings(message.headers);
  const missing = REQUIRED.filter((name) => !headers[name]);
  if (missing.length > 0)
    throw new UndecodableMessageError(`missing headers: ${missing.join(", ")}`);
  if (headers.ce_specversion !== SPEC_VERSION) {
    throw new UndecodableMessageError(`ce_specversion "${headers.ce_specversion}" is not 1.0`);
  }
  if (headers["content-type"]?.split(";")[0]?.trim() !== JSON_CONTENT_TYPE) {
    throw new UndecodableMessageError(`content-type "${headers["content-type"]}" is not JSON`);
  }
  const key = message.key?.toString();
  if (!key) throw new UndecodableMessageError("no key (the aggregate id)");
  const payload = message.value?.toString();
  if (payload === undefined) throw new UndecodableMessageError("no value");
  try {
    JSON.parse(payload);
  } catch {
    throw new UndecodableMessageError("value is not JSON");
  }
  return {
    id: headers.ce_id as string,
    type: headers.ce_type as string,
    source: headers.ce_source as string,
    time: headers.ce_time as string,
    subject: headers.ce_subject,
    key,
    payload,
    traceparent: headers.traceparent,
  };
}

/** Headers as UTF-8 strings; a header sent several times counts with its first value. */
export function headerStrings(headers: RawMessage["headers"] = {}): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}
