/**
 * Every route of the API, as the OpenAPI document describes it. Adding a route is one entry here:
 * request bodies are the zod schemas the routes validate with, so the document cannot drift from
 * what is checked. (A test compares this list with the app's own routes.)
 */
import type { z } from "zod";
import { chatCompletionSchema } from "../chat/schema";
import { createKeySchema } from "../routes/admin";
import { createRunSchema } from "../schemas";
import {
  apiKeyListSchema,
  apiKeySchema,
  chatCompletionChunkSchema,
  chatCompletionResponseSchema,
  healthSchema,
  modelListSchema,
  modelSchema,
  runAcceptedSchema,
  runEventSchema,
  runListSchema,
  runSchema,
  usageSchema,
} from "./response-schemas";

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface ParamDoc {
  name: string;
  in: "path" | "query" | "header";
  description: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface ResponseDoc {
  description: string;
  /** A named schema (see `SCHEMAS`) by its name, per media type. */
  /** Media type → a schema name ("" for raw bytes without a schema, such as an image). */
  content?: Partial<
    Record<
      | "application/json"
      | "text/event-stream"
      | "text/html"
      | "application/octet-stream"
      | "image/png"
      | "image/jpeg"
      | "image/webp",
      string
    >
  >;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: Method;
  /** OpenAPI path template: `/v1/runs/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** `key`: `Authorization: Bearer <API key>` (every /v1 route); `admin`: the admin secret. */
  auth: "key" | "admin" | "none";
  parameters?: ParamDoc[];
  /** Name of the JSON request body's schema (see `SCHEMAS`). */
  body?: string;
  responses: Record<string, ResponseDoc>;
}

/** The named schemas: request bodies (documented as sent) and responses (as answered). */
export const SCHEMAS = {
  requests: {
    CreateRunRequest: createRunSchema,
    ChatCompletionRequest: chatCompletionSchema,
    CreateKeyRequest: createKeySchema,
  } as Record<string, z.ZodType>,
  responses: {
    Run: runSchema,
    RunAccepted: runAcceptedSchema,
    RunEventStream: runEventSchema,
    Model: modelSchema,
    ModelList: modelListSchema,
    RunList: runListSchema,
    Usage: usageSchema,
    ApiKey: apiKeySchema,
    ApiKeyList: apiKeyListSchema,
    Health: healthSchema,
    ChatCompletion: chatCompletionResponseSchema,
    ChatCompletionChunk: chatCompletionChunkSchema,
  } as Record<string, z.ZodType>,
};

const runId: ParamDoc = {
  name: "id",
  in: "path",
  required: true,
  description: "A run id (`run_` + 64 hex digits).",
  schema: { type: "string", pattern: "^run_[0-9a-f]{64}$" },
};
const preferWait: ParamDoc = {
  name: "Prefer",
  in: "header",
  description: "`wait=N` (0–60): wait up to N seconds for the run to finish.",
  schema: { type: "string", example: "wait=30" },
};
const idempotencyKey: ParamDoc = {
  name: "Idempotency-Key",
  in: "header",
  description:
    "The same key with the same body returns the same run (`Idempotent-Replayed: true`); with a different body, 409.",
  schema: { type: "string", maxLength: 255 },
};
const json = (schema: string) => ({ "application/json": schema });

export const ROUTES: RouteDoc[] = [
  {
    method: "post",
    path: "/v1/runs",
    tag: "runs",
    auth: "key",
    summary: "Start a run",
    description:
      "Validates everything (body, model, image bytes) before a run exists: a rejected request creates nothing.",
    parameters: [preferWait, idempotencyKey],
    body: "CreateRunRequest",
    responses: {
      "200": { description: "The finished run (with `Prefer: wait`).", content: json("Run") },
      "202": {
        description: "The run started; poll or stream it.",
        content: json("RunAccepted"),
        headers: { Location: "The run's URL." },
      },
    },
  },
  {
    method: "get",
    path: "/v1/runs",
    tag: "runs",
    auth: "key",
    summary: "The caller's runs, newest first",
    parameters: [
      {
        name: "limit",
        in: "query",
        description: "Page size, 1–100 (default 20).",
        schema: { type: "integer", minimum: 1, maximum: 100 },
      },
      { name: "cursor", in: "query", description: "`next_cursor` of the previous page.", schema: { type: "string" } },
    ],
    responses: { "200": { description: "A page of runs.", content: json("RunList") } },
  },
  {
    method: "get",
    path: "/v1/runs/{id}",
    tag: "runs",
    auth: "key",
    summary: "Get a run: status, answer, stages, trace, usage",
    parameters: [runId, preferWait],
    responses: { "200": { description: "The run.", content: json("Run") } },
  },
  {
    method: "get",
    path: "/v1/runs/{id}/events",
    tag: "runs",
    auth: "key",
    summary: "Follow a run's events (SSE)",
    parameters: [
      runId,
      {
        name: "Last-Event-ID",
        in: "header",
        description: "Replay the events after this id.",
        schema: { type: "string" },
      },
      {
        name: "after",
        in: "query",
        description: "Same as Last-Event-ID, for clients that cannot set headers.",
        schema: { type: "integer", minimum: 0 },
      },
    ],
    responses: { "200": { description: "An event stream.", content: { "text/event-stream": "RunEventStream" } } },
  },
  {
    method: "get",
    path: "/v1/runs/{id}/image",
    tag: "runs",
    auth: "key",
    summary: "The run's input image, as sent",
    parameters: [runId],
    responses: {
      "200": {
        description: "The image bytes, with the media type they were sent as.",
        content: { "image/png": "", "image/jpeg": "", "image/webp": "" },
      },
      "404": {
        description: "No such run, or (`run_has_no_image`) a run created without an image.",
        content: { "application/json": "Error" },
      },
    },
  },
  {
    method: "post",
    path: "/v1/runs/{id}/cancel",
    tag: "runs",
    auth: "key",
    summary: "Cancel a run (a finished run is returned unchanged)",
    parameters: [runId],
    responses: { "200": { description: "The run.", content: json("Run") } },
  },
  {
    method: "post",
    path: "/v1/chat/completions",
    tag: "openai",
    auth: "key",
    summary: "OpenAI-compatible chat completion (one run)",
    description:
      "The last user message's text parts are the question and its image_url part (a data: URL or an https URL; at most one image) the image. " +
      "`max_tokens` caps each of the four stages. `reasoning_format`: `tagged` (default, the four stages in `content`) or `split` " +
      "(SUMMARY, CAPTION and REASONING in `reasoning_content`, the CONCLUSION in `content`). The run's id is in `x-run-id`.",
    parameters: [idempotencyKey],
    body: "ChatCompletionRequest",
    responses: {
      "200": {
        description: "The completion, or with `stream: true` a stream of chunks.",
        content: { "application/json": "ChatCompletion", "text/event-stream": "ChatCompletionChunk" },
        headers: { "x-run-id": "The run behind the completion." },
      },
      "402": { description: "The run stopped: budget exhausted.", content: json("Error") },
      "502": { description: "The run failed: the model backend failed.", content: json("Error") },
      "504": { description: "The run missed its deadline (the error names the run).", content: json("Error") },
    },
  },
  {
    method: "get",
    path: "/v1/models",
    tag: "models",
    auth: "key",
    summary: "Models served here",
    responses: { "200": { description: "OpenAI's list shape.", content: json("ModelList") } },
  },
  {
    method: "get",
    path: "/v1/models/{id}",
    tag: "models",
    auth: "key",
    summary: "One model",
    parameters: [
      {
        name: "id",
        in: "path",
        required: true,
        description: "`backend:model`, e.g. `mock:fixed`.",
        schema: { type: "string" },
      },
    ],
    responses: { "200": { description: "The model.", content: json("Model") } },
  },
  {
    method: "get",
    path: "/v1/usage",
    tag: "usage",
    auth: "key",
    summary: "The caller's usage per UTC day and model, and its budget",
    parameters: [
      {
        name: "from",
        in: "query",
        description: "First day, YYYY-MM-DD (default: 29 days before `to`).",
        schema: { type: "string", format: "date" },
      },
      {
        name: "to",
        in: "query",
        description: "Last day, YYYY-MM-DD (default: today, UTC); at most 366 days.",
        schema: { type: "string", format: "date" },
      },
    ],
    responses: { "200": { description: "Usage.", content: json("Usage") } },
  },
  {
    method: "post",
    path: "/admin/keys",
    tag: "admin",
    auth: "admin",
    summary: "Create an API key (its secret and webhook secret are shown once)",
    body: "CreateKeyRequest",
    responses: { "201": { description: "The key, with `key` and `webhook_secret`.", content: json("ApiKey") } },
  },
  {
    method: "get",
    path: "/admin/keys",
    tag: "admin",
    auth: "admin",
    summary: "List API keys and what each has spent",
    responses: { "200": { description: "The keys.", content: json("ApiKeyList") } },
  },
  {
    method: "post",
    path: "/admin/keys/{id}/revoke",
    tag: "admin",
    auth: "admin",
    summary: "Revoke an API key",
    parameters: [
      { name: "id", in: "path", required: true, description: "A key id (`key_…`).", schema: { type: "string" } },
    ],
    responses: { "200": { description: "The key, revoked.", content: json("ApiKey") } },
  },
  {
    method: "get",
    path: "/healthz",
    tag: "service",
    auth: "none",
    summary: "Liveness and the models served",
    responses: { "200": { description: "OK.", content: json("Health") } },
  },
  {
    method: "get",
    path: "/",
    tag: "service",
    auth: "none",
    summary: "The playground page (static)",
    responses: { "200": { description: "HTML.", content: { "text/html": "" } } },
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: "service",
    auth: "none",
    summary: "This document",
    responses: { "200": { description: "OpenAPI 3.1." } },
  },
  {
    method: "get",
    path: "/model-shards/{file}",
    tag: "service",
    auth: "none",
    summary: 'The embedded model\'s files, only where MODEL_SHARDS_PUBLIC is "1" (else 404)',
    parameters: [
      {
        name: "file",
        in: "path",
        required: true,
        description: "A file of the model's manifest.",
        schema: { type: "string" },
      },
    ],
    responses: {
      "200": { description: "The file.", content: { "application/octet-stream": "" } },
      "404": { description: "Not public on this deployment.", content: json("Error") },
    },
  },
  {
    method: "get",
    path: "/docs",
    tag: "service",
    auth: "none",
    summary: "API reference page (works offline)",
    responses: { "200": { description: "HTML.", content: { "text/html": "" } } },
  },
];
