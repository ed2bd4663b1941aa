/**
 * The Hono app: request ids, every route (each feature registers its declarations and handlers,
 * see openapi.ts), and one error path.
 */
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { adminRoutes } from "./admin/routes";
import { contractCheck } from "./contract-check";
import { chatRoutes } from "./chat/routes";
import { methodNotAllowedResponse, onError, onNotFound } from "./errors";
import { adminAuth, apiKeyAuth } from "./middleware/auth";
import { keyRateLimit } from "./middleware/rate-limit";
import { modelsRoutes } from "./models/routes";
import { newApp, type App } from "./openapi";
import { batchRoutes } from "./batches/routes";
import { forkRoutes } from "./runs/fork";
import { runsRoutes } from "./runs/routes";
import { serviceRoutes } from "./service/routes";
import { usageRoutes } from "./usage/routes";

export function createApp(): App {
  const app = newApp();
  app.use(contractCheck(app));
  app.use(requestId({ generator: () => `req_${crypto.randomUUID().replaceAll("-", "")}` }));
  // A known path with the wrong method is a 405 with Allow, not a misleading 404.
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }));
  // Every /v1 route needs an API key and counts against its rate limit (docs/keys-and-billing.md).
  app.use("/v1/*", apiKeyAuth(), keyRateLimit());
  app.use("/admin/*", adminAuth());
  serviceRoutes(app);
  modelsRoutes(app);
  runsRoutes(app);
  forkRoutes(app);
  batchRoutes(app);
  chatRoutes(app);
  usageRoutes(app);
  adminRoutes(app);
  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}
