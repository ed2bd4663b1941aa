/**
 * How a run is answered: a finished run in full (200), an unfinished one as a pointer to poll or
 * stream (202 + Location), per RFC 7240's `respond-async` / `wait` model.
 */
import type { Context } from "hono";
import { TERMINAL_STATUSES, type RunView } from "../../runs/contract";
import type { AppEnv } from "../types";
import { ApiError } from "../errors";

/** 409 for an Idempotency-Key used before with another body (every route that creates a run). */
export function idempotencyConflict(): ApiError {
  return new ApiError(
    409,
    "idempotency_error",
    "this Idempotency-Key was already used with a different request body; use a new key for a new request",
    { param: "Idempotency-Key", code: "idempotency_conflict" },
  );
}

export const isTerminalView = (view: RunView): boolean => TERMINAL_STATUSES.includes(view.status);

export function runLinks(id: string) {
  const self = `/v1/runs/${id}`;
  return { self, events: `${self}/events`, cancel: `${self}/cancel` };
}

export interface RespondOptions {
  /** Seconds waited for, when a `Prefer: wait` was honoured. */
  waited?: number;
  /** The run existed already (an Idempotency-Key replay). */
  replayed?: boolean;
}

export function respondWithRun(c: Context<AppEnv>, view: RunView, options: RespondOptions = {}): Response {
  const headers: Record<string, string> = {};
  if (options.waited !== undefined) headers["Preference-Applied"] = `wait=${options.waited}`;
  if (options.replayed) headers["Idempotent-Replayed"] = "true";
  if (isTerminalView(view)) return c.json(view, 200, headers);
  const links = runLinks(view.id);
  headers.Location = links.self;
  return c.json(
    { id: view.id, object: "run", status: view.status, model: view.model, seed: view.sampling.seed, links },
    202,
    headers,
  );
}
