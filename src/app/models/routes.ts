/** `GET /v1/models`, `GET /v1/models/{id}`: the models this deployment serves, in OpenAI's list shape. */
import type { Context } from "hono";
import { z } from "zod";
import { getModelInfo, listModels, type ModelInfo } from "../../inference/registry";
import { ApiError } from "../errors";
import { errors, json, keyAuth, register, type App } from "../openapi";
import type { AppEnv } from "../types";

/**
 * OpenAI's `created` is when a model was made; for models served from elsewhere nobody knows, so
 * every entry carries the date this build of the service first listed its models (Unix seconds).
 */
export const MODELS_LISTED_AT = Date.UTC(2026, 11, 3) / 1000;

export const modelSchema = z
  .object({
    id: z.string().meta({ description: "`backend:model`.", example: "embedded:x1-shapes-tiny" }),
    object: z.literal("model"),
    created: z.number().int().meta({ description: "Unix seconds (OpenAI's field; see docs/api.md)." }),
    owned_by: z.string().meta({ description: "The backend: embedded, workers-ai, openai or mock." }),
    description: z.string(),
    capabilities: z.object({
      n: z.boolean(),
      stop: z.boolean(),
      logprobs: z.boolean(),
      prefill: z.boolean(),
      vision: z.boolean(),
      max_n: z.number().int().optional(),
      verify: z
        .boolean()
        .optional()
        .meta({ description: "Scores candidates for the `verifier` scorer (VERIFIER_MODEL can do it instead)." }),
    }),
    status: z.enum(["ready", "unavailable"]),
    default_scorer: z.enum(["judge", "logprob"]).meta({
      description: "The scorer its runs use when a request names none (search.scorer): what measured best for it.",
    }),
    error: z.string().optional().meta({ description: "Why it is unavailable, and what to fix." }),
    fallbacks: z.array(z.string()).optional().meta({ description: "Backends tried next on retryable errors." }),
    fallback_errors: z.array(z.string()).optional(),
    format_prompt: z
      .object({ enabled: z.boolean(), reason: z.string() })
      .optional()
      .meta({ description: "GPU backends: whether generation calls carry the four-stage instruction, and why." }),
  })
  .meta({ id: "Model" });

export const modelListSchema = z
  .object({ object: z.literal("list"), data: z.array(modelSchema) })
  .meta({ id: "ModelList" });

export const modelObject = (m: ModelInfo): z.infer<typeof modelSchema> => ({
  id: m.id,
  object: "model",
  created: MODELS_LISTED_AT,
  owned_by: m.backend,
  description: m.description,
  capabilities: m.capabilities,
  // Configured but unusable models are listed with what to fix.
  status: m.status,
  default_scorer: m.default_scorer,
  ...(m.error ? { error: m.error } : {}),
  ...(m.fallbacks ? { fallbacks: m.fallbacks } : {}),
  ...(m.fallback_errors ? { fallback_errors: m.fallback_errors } : {}),
  ...(m.format_prompt ? { format_prompt: m.format_prompt } : {}),
});

function getModel(c: Context<AppEnv>): Response {
  const id = c.req.param("id") ?? "";
  const info = listModels(c.env).some((m) => m.id === id) ? getModelInfo(c.env, id) : undefined;
  if (!info)
    throw new ApiError(404, "not_found_error", `model "${id}" is not served here`, {
      param: "id",
      code: "model_not_found",
    });
  return c.json(modelObject(info));
}

export function modelsRoutes(app: App): void {
  register(
    app,
    {
      method: "get",
      path: "/v1/models",
      tags: ["models"],
      security: keyAuth,
      summary: "Models served here",
      responses: { 200: json(modelListSchema, "OpenAI's list shape, with each model's status."), ...errors },
    },
    (c) => c.json({ object: "list", data: listModels(c.env).map(modelObject) }),
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/models/{id}",
      honoPath: "/v1/models/:id{.+}",
      tags: ["models"],
      security: keyAuth,
      summary: "One model",
      request: { params: z.object({ id: z.string().meta({ description: "`backend:model`, e.g. `mock:fixed`." }) }) },
      responses: { 200: json(modelSchema, "The model."), ...errors },
    },
    getModel,
  );
}
