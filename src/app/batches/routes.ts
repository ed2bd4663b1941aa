/**
 * `/v1/batches`: submit up to 1,000 run requests at once, follow the batch, read its results as
 * JSONL in input order, cancel it (docs/batches.md).
 */
import type { Context } from "hono";
import { z } from "zod";
import type { Env } from "../../env";
import { ApiError } from "../errors";
import { publicIds } from "../http/public-ids";
import { checkImageUrl, decodeInlineImage } from "../images/images";
import { errors, json, keyAuth, register, type App } from "../openapi";
import { resolveModel } from "../runs/schemas";
import { checkCacheSeed } from "../runs/start";
import { callerOf, type AppEnv } from "../types";
import { checkWebhookUrl } from "../runs/webhook-schema";
import type { BatchRun } from "./batch-object";
import { batchResultSchema, batchViewSchema, createBatchSchema, readBatch, type CreateBatchBody } from "./schemas";

const batchIds = publicIds("batch");
const BATCH_EVENTS = ["batch.completed", "batch.canceled"];

function namespace(env: Env): DurableObjectNamespace<BatchRun> {
  if (!env.BATCHES)
    throw new ApiError(
      503,
      "api_error",
      "this deployment has no BATCHES binding (a Durable Object of class BatchRun)",
      {
        code: "deployment_not_configured",
      },
    );
  return env.BATCHES;
}

function batchStub(env: Env, id: string): DurableObjectStub<BatchRun> {
  const ns = namespace(env);
  return ns.get(batchIds.parse(ns, id));
}

/**
 * What can be checked of each request without fetching anything: its model and what it asks of
 * it, and an inline image's bytes. An image URL is fetched when its run starts (a failure then is
 * that request's result).
 */
function checkRequests(env: Env, batch: CreateBatchBody): void {
  batch.requests.forEach((r, i) => {
    const at = (e: unknown): never => {
      if (e instanceof ApiError)
        throw new ApiError(e.status, e.type, `requests[${i}]: ${e.message}`, {
          param: `requests[${i}].body${e.param ? `.${e.param}` : ""}`,
          code: e.code,
        });
      throw e;
    };
    try {
      resolveModel(env, r.body);
      checkCacheSeed(r.body);
      const image = r.body.image;
      if (image?.data !== undefined) decodeInlineImage(image.data, image.media_type ?? "");
      else if (image?.url !== undefined) checkImageUrl(image.url, env);
    } catch (e) {
      at(e);
    }
  });
}

async function createBatch(c: Context<AppEnv>): Promise<Response> {
  const { raw, batch } = await readBatch(c.req.raw);
  checkRequests(c.env, batch);
  const caller = callerOf(c);
  const webhook = batch.webhook && {
    url: checkWebhookUrl(batch.webhook.url, c.env),
    events: BATCH_EVENTS,
    secret: caller.key.webhook_secret,
  };
  const ns = namespace(c.env);
  const objectId = ns.newUniqueId();
  const id = batchIds.format(objectId);
  const bodies = (raw as { requests: { body: unknown }[] }).requests.map((r) => JSON.stringify(r.body));
  const view = await ns.get(objectId).create({
    id,
    owner: caller.key.id,
    concurrency: batch.concurrency,
    webhook: webhook ?? null,
    metadata: batch.metadata ?? {},
    items: batch.requests.map((r, i) => ({ custom_id: r.custom_id, body: bodies[i] ?? "{}" })),
    created_at: Date.now(),
  });
  return c.json(view, 202, { Location: view.links.self });
}

async function getBatch(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const view = await batchStub(c.env, id).get(c.get("apiKey").id);
  if (!view) throw batchIds.notFound(id);
  return c.json(view, 200);
}

async function batchResults(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const lines = await batchStub(c.env, id).results(c.get("apiKey").id);
  if (!lines) throw batchIds.notFound(id);
  return new Response(lines.map((l) => JSON.stringify(l)).join("\n") + "\n", {
    status: 200,
    headers: { "Content-Type": "application/jsonl; charset=utf-8" },
  });
}

async function cancelBatch(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const view = await batchStub(c.env, id).cancel(c.get("apiKey").id);
  if (!view) throw batchIds.notFound(id);
  return c.json(view, 200);
}

const batchIdParam = batchIds.param;

export function batchRoutes(app: App): void {
  register(
    app,
    {
      method: "post",
      path: "/v1/batches",
      tags: ["batches"],
      security: keyAuth,
      summary: "Submit a batch of up to 1,000 run requests",
      description:
        "Every request is checked as `POST /v1/runs` checks it before the batch exists: one bad request is a 400 naming it, and nothing is created. Runs start a few at a time (`concurrency`, and the key's cap across its batches) and are billed one by one, as runs.",
      request: {
        body: {
          required: true,
          content: {
            "application/json": { schema: createBatchSchema },
            "application/jsonl": { schema: { type: "string", description: "One `{custom_id, body}` per line." } },
          },
        },
      },
      responses: {
        202: {
          ...json(batchViewSchema, "The batch was accepted."),
          headers: z.object({ Location: z.string().meta({ description: "The batch's URL." }) }),
        },
        ...errors,
      },
    },
    createBatch,
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/batches/{id}",
      tags: ["batches"],
      security: keyAuth,
      summary: "A batch: status and counts",
      request: { params: batchIdParam },
      responses: { 200: json(batchViewSchema, "The batch."), ...errors },
    },
    getBatch,
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/batches/{id}/results",
      tags: ["batches"],
      security: keyAuth,
      summary: "The batch's results as JSONL, one line per request, in input order",
      request: { params: batchIdParam },
      responses: {
        200: {
          description: `JSONL: one \`BatchResult\` per line, in the order the requests were sent (requests not finished yet say so).`,
          content: { "application/jsonl": { schema: { type: "string" } } },
        },
        ...errors,
      },
    },
    batchResults,
  );
  register(
    app,
    {
      method: "post",
      path: "/v1/batches/{id}/cancel",
      tags: ["batches"],
      security: keyAuth,
      summary:
        "Cancel a batch: nothing more starts, running runs are canceled (a finished batch is returned unchanged)",
      request: { params: batchIdParam },
      responses: { 200: json(batchViewSchema, "The batch."), ...errors },
    },
    cancelBatch,
  );
  app.openAPIRegistry.register("BatchResult", batchResultSchema);
}
