import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CloudEvent,
  decodeCloudEvent,
  encodeCloudEvent,
  UndecodableMessageError,
} from "#shared/kafka/cloudevents";
import { createEventProducer } from "#shared/kafka/producer";
import { createMetrics } from "#shared/metrics";
import { createTestTopics, readMessages, testKafka } from "./support/kafka.js";

const event: CloudEvent = {
  id: "evt-1",
  type: "shop.payment.v1.PaymentCompleted",
  source: "/payment",
  time: "2026-12-02T10:00:00.000Z",
  subject: "payment/42",
  key: "42",
  payload: '{"paymentId":"42","amount":"8.40"}',
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

describe("CloudEvents Kafka binding, binary mode", () => {
  it("puts the attributes in ce_* headers, the aggregate id in the key, the JSON in the value", () => {
    expect(encodeCloudEvent(event)).toEqual({
      key: "42",
      value: '{"paymentId":"42","amount":"8.40"}',
      headers: {
        ce_id: "evt-1",
        ce_type: "shop.payment.v1.PaymentCompleted",
        ce_source: "/payment",
        ce_time: "2026-12-02T10:00:00.000Z",
        ce_specversion: "1.0",
        "content-type": "application/json",
        ce_subject: "payment/42",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
  });

  it("leaves optional headers out when the event has none", () => {
    const { subject: _, traceparent: __, ...required } = event;
    const { headers } = encodeCloudEvent(required);
    expect(Object.keys(headers).sort()).toEqual(
      ["ce_id", "ce_source", "ce_specversion", "ce_time", "ce_type", "content-type"].sort(),
    );
  });

  const encoded = encodeCloudEvent(event);
  const without = (name: string) => {
    const { [name]: _, ...headers } = encoded.headers;
    return { ...encoded, headers };
  };
  it.each([
    ["a missing ce_id", without("ce_id"), /missing headers: ce_id/],
    ["a missing ce_type", without("ce_type"), /missing headers: ce_type/],
    ["no headers at all", { ...encoded, headers: {} }, /missing headers: ce_id, ce_type/],
    [
      "another spec version",
      { ...encoded, headers: { ...encoded.headers, ce_specversion: "0.3" } },
      /ce_specversion "0.3"/,
    ],
    [
      "a non-JSON content type",
      { ...encoded, headers: { ...encoded.headers, "content-type": "text/plain" } },
      /content-type "text\/plain"/,
    ],
    ["no key", { ...encoded, key: null }, /no key/],
    ["a value that is not JSON", { ...encoded, value: "{oops" }, /not JSON/],
    ["no value", { ...encoded, value: null }, /no value/],
  ])("refuses a message with %s as undecodable", (_, message, why) => {
    expect(() => decodeCloudEvent(message)).toThrow(UndecodableMessageError);
    expect(() => decodeCloudEvent(message)).toThrow(why);
  });

  describe("through the broker", () => {
    const kafka = testKafka();
    let topics: Awaited<ReturnType<typeof createTestTopics>>;
    beforeAll(async () => {
      topics = await createTestTopics(kafka, "cloudevents");
    });
    afterAll(() => topics.remove());

    it("arrives with exactly those headers and decodes to the same event", async () => {
      const [topic = ""] = topics.topics;
      const producer = createEventProducer(kafka, createMetrics());
      await producer.connect();
      await producer.send({ [topic]: [event] });
      await producer.disconnect();

      const [message] = await readMessages(kafka, topic, 1);
      expect(message?.key).toBe("42");
      expect(message?.headers).toEqual(encoded.headers);
      expect(JSON.parse(message?.value ?? "")).toEqual({ paymentId: "42", amount: "8.40" });
      expect(
        decodeCloudEvent({
          key: message?.key ?? null,
          value: message?.value ?? null,
          headers: message?.headers,
        }),
      ).toEqual(event);
    });
  });
});
