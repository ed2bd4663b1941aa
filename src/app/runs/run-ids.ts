/**
 * Public run ids are `run_` + the Durable Object's 64-hex id (../http/public-ids.ts).
 */
import type { Env } from "../../env";
import type { RunObjectApi } from "../../runs/contract";
import type { ApiError } from "../errors";
import { publicIds } from "../http/public-ids";

const runIds = publicIds("run");

/** The `{id}` path parameter of the run routes. */
export const runIdParam = runIds.param;

export const publicRunId = (id: DurableObjectId): string => runIds.format(id);

/** The RPC surface we rely on (contract.ts), plus the object's `fetch` for the SSE stream. */
export type RunStub = RunObjectApi & { fetch(request: Request): Promise<Response> };

export function runStub(env: Env, id: DurableObjectId): RunStub {
  // The class implements RunObjectApi; typing the stub by the contract (not the class) keeps the
  // HTTP layer independent of the object's internals and of RPC's wrapper types.
  return env.RUNS.get(id) as unknown as RunStub;
}

export const noSuchRun = (id: string): ApiError => runIds.notFound(id);

/** The object id behind a public run id; 404 for anything that is not one of ours. */
export function parseRunId(env: Env, id: string): DurableObjectId {
  return runIds.parse(env.RUNS, id);
}
