/**
 * Public run ids are `run_` + the Durable Object's 64-hex id: the id alone finds the object, with
 * no index lookup, and `idFromString` rejects ids this namespace never issued.
 */
import type { Env } from "../../env";
import type { RunObjectApi } from "../../runs/contract";
import { ApiError } from "../errors";

export const RUN_ID_PATTERN = /^run_[0-9a-f]{64}$/;

export const publicRunId = (id: DurableObjectId): string => `run_${id.toString()}`;

/** The RPC surface we rely on (contract.ts), plus the object's `fetch` for the SSE stream. */
export type RunStub = RunObjectApi & { fetch(request: Request): Promise<Response> };

export function runStub(env: Env, id: DurableObjectId): RunStub {
  // The class implements RunObjectApi; typing the stub by the contract (not the class) keeps the
  // HTTP layer independent of the object's internals and of RPC's wrapper types.
  return env.RUNS.get(id) as unknown as RunStub;
}

export const noSuchRun = (id: string): ApiError =>
  new ApiError(404, "not_found_error", `no run with id "${id.length > 80 ? `${id.slice(0, 80)}…` : id}"`, {
    param: "id",
    code: "run_not_found",
  });

/** The object id behind a public run id; 404 for anything that is not one of ours. */
export function parseRunId(env: Env, id: string): DurableObjectId {
  if (!RUN_ID_PATTERN.test(id)) throw noSuchRun(id);
  try {
    return env.RUNS.idFromString(id.slice(4));
  } catch {
    throw noSuchRun(id);
  }
}
