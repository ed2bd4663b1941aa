/**
 * `POST /v1/runs/{id}/fork`: a new run that takes its parent's accepted stages before `from` as
 * given and searches the rest — with the parent's search and sampling (seed included) unless the
 * request changes them. The reused stages are not sent to a model again and not billed again; the
 * child's `usage.reused` says what they cost in the parent. docs/api.md, "Forks".
 */
import type { Context } from "hono";
import { z } from "zod";
import { STAGES, type Stage } from "../../reasoning/stages";
import type { RunLineage } from "../../runs/contract";
import { sumUsage } from "../../runs/usage";
import { runViewSchema } from "../../runs/view-schema";
import { ApiError, invalidRequest } from "../errors";
import { readJsonBody } from "../http/body";
import { bodyHash, parseIdempotencyKey } from "../http/idempotency";
import { MAX_BODY_BYTES } from "../http/limits";
import { parsePreferWait } from "../http/prefer";
import { errors, json, keyAuth, register, type App } from "../openapi";
import { callerOf, type AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";
import { idempotencyConflict, isTerminalView, respondWithRun } from "./responses";
import { noSuchRun, parseRunId, runStub } from "./run-ids";
import { startRun } from "./start";
import {
  createRunSchema,
  limitsSchema,
  metadataSchema,
  resolveModel,
  runAcceptedSchema,
  samplingSchema,
  searchSchema,
  toRunSpec,
} from "./schemas";
import { webhookSchema } from "./webhook-schema";

export const forkRunSchema = z
  .strictObject({
    from: z.enum(STAGES).meta({
      description: "The first stage the fork searches; the parent's accepted stages before it are taken as given.",
    }),
    model: z.string().min(1, { error: "must not be empty (omit it for the parent's model)" }).optional(),
    search: searchSchema
      .optional()
      .meta({ description: "Fields that replace the parent's search (those left out stay the parent's)." }),
    sampling: samplingSchema
      .optional()
      .meta({ description: "Fields that replace the parent's sampling (the seed too, unless given)." }),
    limits: limitsSchema.prefault({}),
    metadata: metadataSchema.optional(),
    webhook: webhookSchema.optional(),
  })
  .meta({ id: "ForkRunRequest", description: "Unknown fields are rejected by name." });

type ForkBody = z.output<typeof forkRunSchema>;

/** The parent's accepted stages before `from`, or a 409 naming what is not committed yet. */
function givenStages(parentId: string, parent: RunLineage, from: Stage): Partial<Record<Stage, string>> {
  const before = STAGES.slice(0, STAGES.indexOf(from));
  const missing = before.filter((s) => parent.accepted[s] === undefined);
  if (missing.length > 0) {
    const have = STAGES.filter((s) => parent.accepted[s] !== undefined);
    throw new ApiError(
      409,
      "invalid_request_error",
      `run ${parentId} has not accepted ${missing.join(", ")} yet (accepted so far: ${have.join(", ") || "none"}); fork from ${have.length < STAGES.length ? (STAGES[have.length] ?? "SUMMARY") : "any stage"} or wait for it`,
      { param: "from", code: "stage_not_committed" },
    );
  }
  return Object.fromEntries(before.map((s) => [s, parent.accepted[s]]));
}

/** What the parent spent on the reused stages (its best_of_n answers cannot be split by stage: unknown). */
function reusedUsage(parent: RunLineage, stages: Stage[]) {
  if (parent.spec.search.strategy === "best_of_n" && stages.length > 0)
    return { model_steps: 0, backend_ms: 0, estimated: false };
  return sumUsage(stages.flatMap((s) => parent.usageByStage[s] ?? []));
}

async function forkRun(c: Context<AppEnv>): Promise<Response> {
  const parentId = c.req.param("id") ?? "";
  const wait = parsePreferWait(c.req.header("Prefer"));
  const key = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  const raw = await readJsonBody(c.req.raw, MAX_BODY_BYTES);
  const fork: ForkBody = forkRunSchema.parse(raw, { error: apiErrorMap });
  const owner = c.get("apiKey").id;
  const parent = await runStub(c.env, parseRunId(c.env, parentId)).lineage(owner);
  if (!parent) throw noSuchRun(parentId);
  const given = givenStages(parentId, parent, fork.from);

  // The child is an ordinary run request built from the parent's and checked like one: the fields
  // of search and sampling the fork gives replace the parent's, the others (the seed too) stay.
  const overrides = raw as { search?: Record<string, unknown>; sampling?: Record<string, unknown> };
  const body = createRunSchema.parse(
    {
      model: fork.model ?? parent.model,
      question: parent.spec.question,
      search: { ...parent.spec.search, ...overrides.search },
      sampling: { ...parent.spec.sampling, ...overrides.sampling },
      limits: fork.limits,
      ...(fork.metadata ? { metadata: fork.metadata } : {}),
      ...(fork.webhook ? { webhook: fork.webhook } : {}),
    },
    { error: apiErrorMap },
  );
  if (body.search.strategy === "best_of_n" && fork.from !== "SUMMARY") {
    throw invalidRequest(
      `a fork from ${fork.from} searches stage by stage: search.strategy must be stage_beam or greedy (best_of_n samples whole answers, which cannot continue given stages)`,
      "search.strategy",
      "fork_strategy_unsupported",
    );
  }
  const model = resolveModel(c.env, { ...body, image: parent.image });
  const spec = toRunSpec(body, parent.image !== undefined, undefined, model.default_scorer);
  if (Object.keys(given).length > 0) spec.given = given;
  const reused = Object.keys(given) as Stage[];
  const idempotency =
    key === undefined ? undefined : { key, body_hash: await bodyHash({ fork_of: parentId, fork: raw }) };
  const { stub, outcome } = await startRun(
    callerOf(c),
    {
      body,
      model,
      image: parent.image,
      spec,
      origin: {
        kind: "fork",
        run_id: parentId,
        from: fork.from,
        reused: { stages: reused, usage: reusedUsage(parent, reused) },
      },
    },
    idempotency,
  );
  if (outcome.kind === "conflict") throw idempotencyConflict();
  // The parent links to its fork too (a replay links again: nothing changes).
  await runStub(c.env, parseRunId(c.env, parentId)).recordFork(owner, outcome.view.id, fork.from);
  let view = outcome.view;
  if (wait !== undefined && wait > 0 && !isTerminalView(view)) view = (await stub.wait(wait * 1000, owner)) ?? view;
  return respondWithRun(c, view, { waited: wait, replayed: outcome.kind === "existing" });
}

export function forkRoutes(app: App): void {
  register(
    app,
    {
      method: "post",
      path: "/v1/runs/{id}/fork",
      tags: ["runs"],
      security: keyAuth,
      summary: "Fork a run from a stage",
      description:
        "Starts a new run that takes the parent's accepted stages before `from` as given and searches the rest. The reused stages are not sent to a model and not billed again; `forked_from` and `usage.reused` say where they came from. Another key's run is a 404.",
      request: {
        params: z.object({ id: z.string().regex(/^run_[0-9a-f]{64}$/) }),
        body: { required: true, content: { "application/json": { schema: forkRunSchema } } },
      },
      responses: {
        200: json(runViewSchema, "The finished fork (with `Prefer: wait`)."),
        202: json(runAcceptedSchema, "The fork started; poll or stream it."),
        ...errors,
      },
    },
    forkRun,
  );
}
