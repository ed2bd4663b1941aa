// Types of the LLaVA-X1 Edge client (./index.mjs). The API's shapes come from ./schema.d.ts,
// generated from the service's OpenAPI document (`npm run gen:client`).
import type { Client } from "openapi-fetch";
import type { components, paths, webhooks } from "./schema";

export type { components, paths, webhooks };
export type Schemas = components["schemas"];
export type Run = Schemas["Run"];
export type RunAccepted = Schemas["RunAccepted"];
export type CreateRunRequest = Schemas["CreateRunRequest"];
export type ForkRunRequest = Schemas["ForkRunRequest"];
export type Batch = Schemas["Batch"];
export type BatchResult = Schemas["BatchResult"];
export type CreateBatchRequest = Schemas["CreateBatchRequest"];
export type Model = Schemas["Model"];
export type Usage = Schemas["Usage"];
export type ApiErrorBody = Schemas["Error"];

export type RunEventType =
  | "run.created"
  | "run.started"
  | "stage.started"
  | "candidate.generated"
  | "selfcheck.decided"
  | "judge.decided"
  | "stage.completed"
  | "run.succeeded"
  | "run.failed"
  | "run.canceled";

/** One event of a run: its number in the run, its type and its data (as in the webhook payloads). */
export interface RunEvent {
  id: number;
  type: RunEventType;
  data: Record<string, unknown>;
}

export interface X1ClientOptions {
  /** Default http://localhost:8787 (`npm start`). */
  baseUrl?: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /**
   * 503 and 429 answers to safe requests (GET, HEAD, or with an Idempotency-Key) are retried after
   * their Retry-After: at most `maxRetries` times (default 3), and only while Retry-After is at
   * most `maxDelayMs` (default 10 s). `{maxRetries: 0}` turns it off.
   */
  retry?: { maxRetries?: number; maxDelayMs?: number };
}

export declare class X1Error extends Error {
  readonly status: number;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
  readonly body?: ApiErrorBody;
}

export interface X1Client {
  /** Every route, typed (openapi-fetch): `await x1.api.GET("/v1/models")`. */
  api: Client<paths>;
  /** `POST /v1/runs`: 202 `RunAccepted`, or the finished `Run` when it finished within `wait` seconds. */
  createRun(body: CreateRunRequest, options?: { wait?: number; idempotencyKey?: string }): Promise<Run | RunAccepted>;
  /** `POST /v1/runs/{id}/fork`: a new run that takes the parent's stages before `from` as given. */
  forkRun(
    id: string,
    body: ForkRunRequest,
    options?: { wait?: number; idempotencyKey?: string },
  ): Promise<Run | RunAccepted>;
  getRun(id: string, options?: { wait?: number }): Promise<Run>;
  /** Long-polls until the run is finished, or `timeoutMs` (default 10 min) passes. */
  waitForRun(id: string, options?: { timeoutMs?: number }): Promise<Run>;
  createRunAndWait(body: CreateRunRequest, options?: { timeoutMs?: number; idempotencyKey?: string }): Promise<Run>;
  /** The run's events from `after` (default 0), live, resumed with Last-Event-ID when the connection drops. */
  events(
    id: string,
    options?: { after?: number; signal?: AbortSignal; retryDelayMs?: number; maxRetries?: number },
  ): AsyncGenerator<RunEvent, void, undefined>;
  cancelRun(id: string): Promise<Run>;
  listRuns(query?: { limit?: string; cursor?: string }): Promise<Schemas["RunList"]>;
  listModels(): Promise<Schemas["ModelList"]>;
  usage(query?: { from?: string; to?: string }): Promise<Usage>;
  /** `POST /v1/batches`: up to 1,000 run requests, each with a `custom_id`. */
  createBatch(body: CreateBatchRequest): Promise<Batch>;
  getBatch(id: string): Promise<Batch>;
  /** Polls until the batch has ended; `onProgress` sees each look. */
  waitForBatch(
    id: string,
    options?: { timeoutMs?: number; intervalMs?: number; onProgress?: (batch: Batch) => void },
  ): Promise<Batch>;
  /** One result per request, in input order (parsed from the route's JSONL). */
  batchResults(id: string): Promise<BatchResult[]>;
  cancelBatch(id: string): Promise<Batch>;
}

export declare function createX1Client(options?: X1ClientOptions): X1Client;

/** A webhook delivery, verified with the API key's `whsec_…` secret and parsed; throws when it does not verify. */
export declare function verifyWebhook(
  secret: string,
  rawBody: string,
  headers: Headers | Record<string, string>,
): { type: RunEventType; timestamp: string; data: Record<string, unknown> & { run_id: string; seq: number } };
