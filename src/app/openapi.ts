/**
 * Routes declared once: a route's OpenAPI declaration (path, parameters, request and response
 * schemas) and its handler are registered together from one object, and `/openapi.json` is
 * generated from those declarations (@hono/zod-openapi, zod-to-openapi underneath). Handlers
 * validate with the very schemas the declaration names; bodies are read by our own reader first
 * (media type, size cap while streaming, JSON errors that say where), so they are declared here
 * for the document and parsed in the handler.
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Handler } from "hono";
import { z } from "zod";
import type { AppEnv } from "./types";

export type App = OpenAPIHono<AppEnv>;

export const errorSchema = z
  .object({
    error: z.object({
      type: z.string().meta({
        description:
          "invalid_request_error, authentication_error, permission_error, not_found_error, method_not_allowed_error, idempotency_error, rate_limit_error, budget_error, api_error",
      }),
      message: z.string().meta({ description: "Names the field and the limit it broke." }),
      param: z.string().nullish().meta({ description: "Dotted path of the field at fault." }),
      code: z.string().optional(),
      request_id: z.string().optional(),
      run_id: z
        .string()
        .optional()
        .meta({ description: "Chat completions: the run behind a failed or timed-out completion." }),
    }),
  })
  .meta({ id: "Error", description: "Every error, with the right HTTP status." });

/** A JSON response of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Every route can fail: the statuses and their meaning are in docs/api.md; the body is always an Error. */
export const errors = { default: json(errorSchema, "An error (4xx or 5xx); see `error.code`.") };

export const keyAuth: RouteConfig["security"] = [{ bearerAuth: [] }];
export const adminSecurity: RouteConfig["security"] = [{ adminAuth: [] }];

export interface RouteSpec extends RouteConfig {
  /** Hono's path when it differs from the OpenAPI template (a parameter that may contain slashes). */
  honoPath?: string;
}

/** Registers a route's declaration (for /openapi.json) and its handler, from the same object. */
export function register(app: App, route: RouteSpec, handler: Handler<AppEnv>): void {
  const { honoPath, ...config } = route;
  app.openAPIRegistry.registerPath(config);
  app.on(config.method.toUpperCase(), honoPath ?? config.path.replace(/\{(\w+)\}/g, ":$1"), handler);
}

export function newApp(): App {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `Authorization: Bearer <key>`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminAuth", {
    type: "http",
    scheme: "bearer",
    description: "The deployment's admin secret (ADMIN_SECRET): `Authorization: Bearer <secret>`.",
  });
  return app;
}
