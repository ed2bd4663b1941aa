/**
 * The Hono app: request ids, routes, and one error path (one app factory, one onError). Routes are mounted per group; each validates its own input.
 */
import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { apiKeyAuth } from "./auth";
import { methodNotAllowedResponse, onError, onNotFound } from "./errors";
import { keyRateLimit } from "./rate-limit";
import { adminRoutes } from "./routes/admin";
import { chatRoutes } from "./routes/chat";
import { docsRoutes } from "./routes/docs";
import { metaRoutes } from "./routes/meta";
import { runsRoutes } from "./routes/runs";
import { usageRoutes } from "./routes/usage";
import type { AppEnv } from "./types";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId({ generator: () => `req_${crypto.randomUUID().replaceAll("-", "")}` }));
  // A known path with the wrong method is a 405 with Allow, not a misleading 404.
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }));
  // Every /v1 route needs an API key and counts against its rate limit (docs/keys-and-billing.md).
  app.use("/v1/*", apiKeyAuth(), keyRateLimit());
  app.route("/", metaRoutes());
  app.route("/v1/runs", runsRoutes());
  app.route("/v1/chat", chatRoutes());
  app.route("/", docsRoutes());
  app.route("/v1/usage", usageRoutes());
  app.route("/admin", adminRoutes());
  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}
