/**
 * The OpenAPI 3.1 document: every route's declaration (registered with its handler, see
 * ../openapi.ts) and a `webhooks` section with each event's delivery, generated once per isolate —
 * it depends on code only, never on bindings.
 */
import { z } from "zod";
import { RUN_EVENT_TYPES, webhookPayloadSchema } from "../../runs/event-schema";
import type { App } from "../openapi";
import { batchViewSchema } from "../batches/schemas";

const webhookHeaders = z.object({
  "webhook-id": z.string().meta({ description: "Stable for an event across retries: deduplicate on it." }),
  "webhook-timestamp": z.string().meta({ description: "Seconds since the epoch, when the attempt was signed." }),
  "webhook-signature": z.string().meta({
    description:
      "`v1,<base64 HMAC-SHA256>` over `${webhook-id}.${webhook-timestamp}.${body}`, keyed by the API key's whsec_ secret.",
  }),
});

function registerWebhooks(app: App): void {
  for (const type of RUN_EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["webhooks"],
      summary: `A run's ${type} event, delivered to the run's webhook.url (Standard Webhooks)`,
      description:
        "Signed per Standard Webhooks; answer 2xx to acknowledge. Events of a run arrive in order; a failed delivery is retried (docs/webhooks.md).",
      request: {
        headers: webhookHeaders,
        body: { required: true, content: { "application/json": { schema: webhookPayloadSchema(type) } } },
      },
      responses: { 200: { description: "Any 2xx acknowledges the delivery." } },
    });
  }
}

/** A batch's one delivery, when it ends (docs/batches.md). */
const batchPayloadSchema = (type: string) =>
  z
    .object({
      type: z.literal(type),
      timestamp: z.string(),
      data: z.object({
        batch_id: z.string(),
        status: z.enum(["completed", "canceled"]),
        counts: batchViewSchema.shape.counts,
      }),
    })
    .meta({ id: `Webhook_${type.replace(".", "_")}` });

function registerBatchWebhooks(app: App): void {
  for (const type of ["batch.completed", "batch.canceled"]) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["webhooks"],
      summary: `A batch's ${type} event, delivered once to the batch's webhook.url (Standard Webhooks)`,
      description: "Signed like a run's events with the API key's secret; answer 2xx to acknowledge.",
      request: {
        headers: webhookHeaders,
        body: { required: true, content: { "application/json": { schema: batchPayloadSchema(type) } } },
      },
      responses: { 200: { description: "Any 2xx acknowledges the delivery." } },
    });
  }
}

const documents = new WeakMap<App, Record<string, unknown>>();

export function openApiDocument(app: App): Record<string, unknown> {
  let doc = documents.get(app);
  if (!doc) {
    registerWebhooks(app);
    registerBatchWebhooks(app);
    doc = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "LLaVA-X1 Edge API",
        version: "1",
        description:
          "Structured visual reasoning (SUMMARY → CAPTION → REASONING → CONCLUSION) with stage-level beam search. " +
          'Every error is `{"error": {"type", "message", "param"?, "code"?}}`; request bodies are strict (unknown fields are rejected by name).',
      },
      servers: [{ url: "/" }],
      tags: [
        { name: "runs", description: "Reasoning runs: durable, traced, streamable." },
        { name: "batches", description: "Up to 1,000 runs in one request." },
        { name: "openai", description: "OpenAI-compatible API." },
        { name: "models", description: "Models served here." },
        { name: "usage", description: "Metering and budgets." },
        { name: "admin", description: "API key management (admin secret)." },
        { name: "service", description: "Service metadata and docs." },
        { name: "webhooks", description: "What a run (or a batch) delivers to its webhook." },
      ],
    }) as unknown as Record<string, unknown>;
    documents.set(app, doc);
  }
  return doc;
}
