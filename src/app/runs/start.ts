/**
 * From a valid request to a run on its Durable Object — shared by `POST /v1/runs`, chat
 * completions, forks and batches: the model and image checks, the content hash and the result
 * cache, then billing, the object and the key's run index.
 */
import type { ImageInput } from "../../inference/backend";
import type { ModelInfo } from "../../inference/registry";
import { findSucceededRun } from "../../platform/run-index";
import { STAGES } from "../../reasoning/stages";
import type { RunSpec } from "../../reasoning/types";
import type { CreateRunOutcome, RunOrigin } from "../../runs/contract";
import { sumUsage } from "../../runs/usage";
import { invalidRequest } from "../errors";
import { loadImage } from "../images/images";
import { platformDb } from "../middleware/auth";
import type { Caller } from "../types";
import { idempotencyName, indexOwnedRun, runBilling } from "./billing";
import { runContentHash } from "./content-hash";
import { parseRunId, publicRunId, runStub, type RunStub } from "./run-ids";
import { resolveModel, toRunSpec, type CreateRunBody } from "./schemas";
import { checkWebhookUrl } from "./webhook-schema";

/**
 * Everything about a parsed request that can fail, checked before any object exists: the model
 * and what the request asks of it, the image (fetched and decoded), and the result cache.
 */
export async function prepareRun(c: Caller, body: CreateRunBody): Promise<CheckedRun> {
  const model = resolveModel(c.env, body);
  const image = await loadImage(body.image, c.env);
  const spec = toRunSpec(body, image !== undefined, undefined, model.default_scorer);
  const content_hash = await runContentHash(c.env, { model: model.id, spec, image });
  const checked: CheckedRun = { body, model, image, spec, ...(content_hash ? { content_hash } : {}) };
  return body.cache === "reuse" ? reuseCachedResult(c, checked) : checked;
}

/** A request that passed every check (body, model, image bytes): all a run needs. */
export interface CheckedRun {
  body: CreateRunBody;
  model: ModelInfo;
  image: ImageInput | undefined;
  spec: RunSpec;
  /** The result cache's key for this content (content-hash.ts); absent when it cannot be known. */
  content_hash?: string;
  /** A fork's parent or a cache hit's source. */
  origin?: RunOrigin;
}

/** `cache: "reuse"` on a sampled search needs a seed: a 400 when it has none. */
export function checkCacheSeed(body: CreateRunBody): void {
  if (body.cache === "reuse" && body.sampling.seed === undefined && body.search.strategy !== "greedy") {
    throw invalidRequest(
      'cache "reuse" needs sampling.seed: without one a run samples from a fresh random seed, so no earlier run has the same content (greedy runs need none)',
      "sampling.seed",
      "cache_needs_seed",
    );
  }
}

/**
 * `cache: "reuse"`: the key's newest succeeded run with the same content becomes this run's source —
 * the run takes all four stages as given, calls no model, and bills no tokens. A miss runs as usual.
 */
async function reuseCachedResult(c: Caller, run: CheckedRun): Promise<CheckedRun> {
  checkCacheSeed(run.body);
  if (!run.content_hash) return run;
  const owner = c.key.id;
  const sourceId = await findSucceededRun(platformDb(c), owner, run.content_hash);
  if (!sourceId) return run;
  const source = await runStub(c.env, parseRunId(c.env, sourceId)).lineage(owner);
  if (source?.status !== "succeeded") return run;
  return {
    ...run,
    spec: { ...run.spec, given: source.accepted },
    origin: {
      kind: "cache",
      run_id: sourceId,
      reused: { stages: [...STAGES], usage: sumUsage(Object.values(source.usageByStage)) },
    },
  };
}

/**
 * Create the run on its Durable Object: the one path from a checked request to a run, shared by
 * `POST /v1/runs` and `POST /v1/chat/completions`. Call it only once everything is valid: this is
 * where an object is first addressed.
 */
export async function startRun(
  c: Caller,
  run: CheckedRun,
  idempotency?: { key: string; body_hash: string },
): Promise<{ id: string; stub: RunStub; outcome: CreateRunOutcome }> {
  const env = c.env;
  const { body, model, image, spec } = run;
  const key = c.key;
  const webhook = body.webhook && {
    url: checkWebhookUrl(body.webhook.url, env),
    events: body.webhook.events,
    secret: key.webhook_secret,
  };
  // Idempotency-Keys are per API key: the same key string from two keys names two runs.
  const objectId =
    idempotency === undefined ? env.RUNS.newUniqueId() : env.RUNS.idFromName(idempotencyName(key.id, idempotency.key));
  const id = publicRunId(objectId);
  const stub = runStub(env, objectId);
  // A replay gets the run it made whatever the key's budget says now (so does a conflict its 409).
  if (idempotency !== undefined) {
    const prior = await stub.replay(idempotency.body_hash, key.id);
    if (prior) {
      if (prior.kind === "existing")
        await indexOwnedRun(c, { id, model: prior.view.model, created_at: Date.parse(prior.view.timings.created_at) });
      return { id, stub, outcome: prior };
    }
  }
  // The key's budget is checked here, before any object exists: a 402 leaves no run behind. A
  // cache hit costs nothing, so a spent budget does not refuse it.
  const free = run.origin?.kind === "cache";
  const { owner, price, max_cost_usd, key_budget_usd } = await runBilling(c, model.id, undefined, { free });
  const now = Date.now();
  const outcome = await stub.create({
    id,
    model: model.id,
    spec,
    image,
    metadata: body.metadata,
    limits: {
      deadline_at: now + body.limits.deadline_seconds * 1000,
      max_total_tokens: body.limits.max_total_tokens,
      max_cost_usd,
      key_budget_usd,
    },
    idempotency_body_hash: idempotency?.body_hash,
    created_at: now,
    owner,
    price,
    webhook,
    ...(run.origin ? { origin: run.origin } : {}),
  });
  // A replay indexes again (a no-op), which also repairs an index insert that failed last time.
  if (outcome.kind !== "conflict")
    await indexOwnedRun(c, {
      id,
      model: model.id,
      created_at: Date.parse(outcome.view.timings.created_at),
      ...(run.content_hash ? { content_hash: run.content_hash } : {}),
    });
  return { id, stub, outcome };
}
