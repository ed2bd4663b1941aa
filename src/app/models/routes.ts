/** Service metadata: liveness and the models this deployment serves (OpenAI's list shape). */
import { Hono } from "hono";
import { getModelInfo, listModels, type ModelInfo } from "../../inference/registry";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

const modelObject = (m: ModelInfo) => ({
  id: m.id,
  object: "model" as const,
  owned_by: m.backend,
  description: m.description,
  capabilities: m.capabilities,
  // Configured but unusable models are listed with what to fix.
  status: m.status,
  ...(m.error ? { error: m.error } : {}),
  ...(m.fallbacks ? { fallbacks: m.fallbacks } : {}),
  ...(m.fallback_errors ? { fallback_errors: m.fallback_errors } : {}),
  ...(m.format_prompt ? { format_prompt: m.format_prompt } : {}),
});

export function metaRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // `/` is the playground (public/index.html), served as a static asset before the Worker runs.
  app.get("/healthz", (c) => c.json({ ok: true, models: listModels(c.env).map((m) => m.id) }));
  app.get("/v1/models", (c) => c.json({ object: "list", data: listModels(c.env).map(modelObject) }));
  app.get("/v1/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    const info = listModels(c.env).some((m) => m.id === id) ? getModelInfo(c.env, id) : undefined;
    if (!info)
      throw new ApiError(404, "not_found_error", `model "${id}" is not served here`, {
        param: "id",
        code: "model_not_found",
      });
    return c.json(modelObject(info));
  });
  return app;
}
