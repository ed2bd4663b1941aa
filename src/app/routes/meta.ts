/** Service metadata: liveness and the models this deployment serves (OpenAI's list shape). */
import { Hono } from "hono";
import { getModelInfo, listModels, type ModelInfo } from "../../inference/registry";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

const modelObject = (m: ModelInfo) => ({ id: m.id, object: "model" as const, owned_by: m.backend, description: m.description, capabilities: m.capabilities });

export function metaRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Until the playground lands, `/` says what this is and which models it serves.
  app.get("/", (c) =>
    c.json({
      service: "LLaVA-X1 Edge",
      about: "structured visual reasoning (SUMMARY → CAPTION → REASONING → CONCLUSION) with stage-level beam search",
      models: listModels(c.env).map((m) => ({ id: m.id, description: m.description })),
      endpoints: ["POST /v1/runs", "GET /v1/runs/:id", "GET /v1/runs/:id/events", "POST /v1/runs/:id/cancel", "GET /v1/models", "GET /healthz"],
    }),
  );
  app.get("/healthz", (c) => c.json({ ok: true, models: listModels(c.env).map((m) => m.id) }));
  app.get("/v1/models", (c) => c.json({ object: "list", data: listModels(c.env).map(modelObject) }));
  app.get("/v1/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    const info = listModels(c.env).some((m) => m.id === id) ? getModelInfo(c.env, id) : undefined;
    if (!info) throw new ApiError(404, "not_found_error", `model "${id}" is not served here`, { param: "id", code: "model_not_found" });
    return c.json(modelObject(info));
  });
  return app;
}
