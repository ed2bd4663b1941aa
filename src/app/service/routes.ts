/**
 * The API reference: `GET /openapi.json` (generated, see src/app/openapi/) and the docs page at
 * `/docs`. The page itself is a static file (public/docs/), served by the assets layer before the
 * Worker runs; these routes only answer when it did not (the bare `/docs`, or no assets binding).
 */
import { Hono } from "hono";
import { ApiError } from "../errors";
import { openApiDocument } from "../openapi/document";
import type { AppEnv } from "../types";

export function docsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) => c.json(openApiDocument(), 200, { "access-control-allow-origin": "*" }));
  app.get("/docs", (c) => c.redirect("/docs/", 307));
  app.get("/docs/", async (c) => {
    if (!c.env.ASSETS)
      throw new ApiError(
        404,
        "not_found_error",
        "the docs page is not deployed here (no ASSETS binding); the API reference is at /openapi.json",
        { code: "route_not_found" },
      );
    return c.env.ASSETS.fetch(new Request(new URL("/docs/", c.req.url), { headers: c.req.raw.headers }));
  });
  // The embedded model's files are static assets the Worker reads through its binding. They reach
  // this route first (`run_worker_first` in wrangler.toml) and are served to anyone only when the
  // deployment says so.
  app.get("/model-shards/:file{.+}", async (c) => {
    if (c.env.MODEL_SHARDS_PUBLIC !== "1" || !c.env.ASSETS)
      throw new ApiError(
        404,
        "not_found_error",
        'the model files are not public on this deployment (MODEL_SHARDS_PUBLIC is not "1")',
        { code: "route_not_found" },
      );
    return c.env.ASSETS.fetch(c.req.raw);
  });
  return app;
}
