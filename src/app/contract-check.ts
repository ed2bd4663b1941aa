/**
 * The API contract, checked on every response when `VALIDATE_RESPONSES = "1"` (the test suites,
 * local development, a staging deployment if you like): the response's status must be documented
 * for its route in /openapi.json, its media type too, and a JSON body must validate against the
 * documented schema. A response that does not is logged and replaced by a 500
 * `response_contract_violation` that says what drifted — so drift fails the test that met it.
 * JSON Schema 2020-12 is validated by @cfworker/json-schema, which works without eval (Workers
 * forbid it).
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import type { MiddlewareHandler } from "hono";
import { errorBody } from "./errors";
import type { App } from "./openapi";
import { openApiDocument } from "./service/document";
import type { AppEnv } from "./types";

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Route {
  /** Each parameter one segment. */
  strict: RegExp;
  /** A parameter that ends the path may span segments (model ids have slashes). */
  loose: RegExp;
  methods: Record<string, Operation>;
}

const routeCache = new WeakMap<App, Route[]>();
const validators = new Map<string, Validator>();

function routesOf(app: App): Route[] {
  let routes = routeCache.get(app);
  if (!routes) {
    const doc = openApiDocument(app) as { paths: Record<string, Record<string, Operation>> };
    routes = Object.entries(doc.paths).map(([template, methods]) => ({
      strict: new RegExp(`^${template.replace(/\{\w+\}/g, "([^/]+)")}$`),
      loose: new RegExp(`^${template.replace(/\{\w+\}$/, "(.+)").replace(/\{\w+\}/g, "([^/]+)")}$`),
      methods,
    }));
    routeCache.set(app, routes);
  }
  return routes;
}

function validatorFor(app: App, key: string, schema: Schema): Validator {
  let v = validators.get(key);
  if (!v) {
    const doc = openApiDocument(app) as { components?: unknown };
    // References are `#/components/schemas/…`: resolve them against the document's components.
    v = new Validator({ ...(schema as object), components: doc.components } as Schema, "2020-12", false);
    validators.set(key, v);
  }
  return v;
}

/** What is wrong with this response for this request, or null when it matches the document. */
async function violation(app: App, method: string, path: string, res: Response): Promise<string | null> {
  const routes = routesOf(app);
  const route = routes.find((r) => r.strict.test(path)) ?? routes.find((r) => r.loose.test(path));
  const op = route?.methods[method.toLowerCase()];
  if (!op) return null; // not an API route (unknown paths, 405s): nothing documented to drift from
  const status = String(res.status);
  const documented = op.responses[status] ?? op.responses.default;
  if (!documented) return `status ${status} is not documented for ${method} ${path}`;
  const type = (res.headers.get("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (!documented.content)
    return type === "" || res.body === null ? null : `${status} is documented without a body, got ${type}`;
  const media = documented.content[type];
  if (!media)
    return `${status} answered ${type || "no content type"}; documented: ${Object.keys(documented.content).join(", ")}`;
  if (type !== "application/json" || !media.schema) return null;
  let body: unknown;
  try {
    body = await res.clone().json();
  } catch {
    return `${status} answered a body that is not JSON`;
  }
  const result = validatorFor(app, `${method} ${route?.strict.source} ${status}`, media.schema).validate(body);
  if (result.valid) return null;
  const errors = result.errors
    .filter((e) => e.keyword !== "$ref" && e.keyword !== "properties" && e.keyword !== "items")
    .slice(0, 3)
    .map((e) => `${e.instanceLocation}: ${e.error}`);
  return `${status} body does not match its schema: ${errors.join("; ") || result.errors[0]?.error}`;
}

export function contractCheck(app: App): MiddlewareHandler<AppEnv> {
  return async function contractCheck(c, next) {
    await next();
    if (c.env?.VALIDATE_RESPONSES !== "1") return;
    const problem = await violation(app, c.req.method, new URL(c.req.url).pathname, c.res);
    if (problem === null) return;
    console.error(`response contract violation: ${c.req.method} ${c.req.path}: ${problem}`);
    c.res = undefined;
    c.res = Response.json(
      errorBody("api_error", `response contract violation: ${problem}`, { code: "response_contract_violation" }),
      { status: 500 },
    );
  };
}
