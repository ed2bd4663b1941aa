/**
 * `KeyLimiter`: one Durable Object per API key (named by the key id) holding its request token
 * bucket. A Durable Object is single-threaded and globally unique, so concurrent requests from
 * anywhere see one consistent count — which D1 (no atomic read-modify-write across requests
 * without a transaction) or a per-isolate counter could not give. The bucket is kept in the
 * object's SQLite so an eviction does not hand out a fresh burst.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { takeToken, type Bucket, type Take } from "./token-bucket";

export type LimitResult = Omit<Take, "bucket">;

export class KeyLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, at INTEGER NOT NULL)`,
    );
    this.bucket =
      sql.exec<{ tokens: number; at: number }>(`SELECT tokens, at FROM bucket WHERE id = 1`).toArray()[0] ?? null;
  }

  /** Take one request's token under a limit of `perMinute` requests per minute. */
  async take(perMinute: number): Promise<LimitResult> {
    const { bucket, ...result } = takeToken(this.bucket, perMinute, Date.now());
    this.bucket = bucket;
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO bucket (id, tokens, at) VALUES (1, ?, ?)`,
      bucket.tokens,
      bucket.at,
    );
    return result;
  }
}
