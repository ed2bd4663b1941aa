/**
 * The OpenAPI 3.1 document, assembled from ROUTES and the zod schemas (`z.toJSONSchema`, whose
 * JSON Schema 2020-12 is OpenAPI 3.1's schema dialect). Built once per isolate: it depends on
 * code only, never on bindings.
 */
import { z } from "zod";
import { errorSchema } from "./response-schemas";
import { ROUTES, SCHEMAS, type RouteDoc } from "./routes";

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Named schemas as components; references between registered schemas become `$ref`s. */
function componentSchemas(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, {
    io,
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const s of Object.values(out)) {
    delete s.$schema;
    delete s.$id;
  }
  return out;
}

const ERROR_RESPONSES: Record<string, string> = {
  "400": "Invalid input: the message names the field and the limit.",
  "401": "Missing or invalid API key.",
  "402": "The key's budget is exhausted.",
  "404": "No such run, model or route.",
  "413": "Body or image too large.",
  "415": "Content-Type is not application/json, or the image type is not PNG or JPEG.",
  "429": "Rate limited (see Retry-After).",
};

function operation(route: RouteDoc): Json {
  const op: Json = {
    tags: [route.tag],
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
  };
  if (route.description) op.description = route.description;
  if (route.parameters)
    op.parameters = route.parameters.map((p) => ({
      ...p,
      required: p.in === "path" ? true : (p.required ?? false),
      schema: p.schema ?? { type: "string" },
    }));
  if (route.body) op.requestBody = { required: true, content: { "application/json": { schema: ref(route.body) } } };
  const responses: Json = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const res: Json = { description: r.description };
    if (r.content)
      res.content = Object.fromEntries(
        Object.entries(r.content).map(([type, name]) => [type, name ? { schema: ref(name) } : {}]),
      );
    if (r.headers)
      res.headers = Object.fromEntries(
        Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: "string" } }]),
      );
    responses[status] = res;
  }
  const errors = route.auth === "none" ? {} : ERROR_RESPONSES;
  for (const [status, description] of Object.entries(errors)) {
    if (status === "401" && route.auth === "none") continue;
    responses[status] ??= { description, content: { "application/json": { schema: ref("Error") } } };
  }
  responses.default = { description: "Any other error.", content: { "application/json": { schema: ref("Error") } } };
  op.responses = responses;
  op.security = route.auth === "key" ? [{ bearerAuth: [] }] : route.auth === "admin" ? [{ adminAuth: [] }] : [];
  return op;
}

export function buildOpenApiDocument(routes: RouteDoc[] = ROUTES): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "LLaVA-X1 Edge API",
      version: "1",
      description:
        "Structured visual reasoning (SUMMARY → CAPTION → REASONING → CONCLUSION) with stage-level beam search. " +
        'Every error is `{"error": {"type", "message", "param"?, "code"?}}`; request bodies are strict (unknown fields are rejected by name).',
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "runs", description: "Reasoning runs: durable, traced, streamable." },
      { name: "openai", description: "OpenAI-compatible API." },
      { name: "models", description: "Models served here." },
      { name: "usage", description: "Metering and budgets." },
      { name: "admin", description: "API key management (admin secret)." },
      { name: "service", description: "Service metadata and docs." },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API key: `Authorization: Bearer <key>`." },
        adminAuth: {
          type: "http",
          scheme: "bearer",
          description: "The deployment's admin secret (ADMIN_SECRET): `Authorization: Bearer <secret>`.",
        },
      },
      schemas: {
        Error: componentSchemas({ Error: errorSchema }, "output").Error,
        ...componentSchemas(SCHEMAS.requests, "input"),
        ...componentSchemas(SCHEMAS.responses, "output"),
      },
    },
  };
}

let cached: Json | undefined;
export const openApiDocument = (): Json => (cached ??= buildOpenApiDocument());
