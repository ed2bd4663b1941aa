/**
 * The price table (`PRICES` var, JSON): `{ "backend:model": { input_per_mtok_usd, output_per_mtok_usd } }`.
 * An entry `backend:*` prices every model of that backend (the mock models, say). A run snapshots
 * its model's price at creation, so later price changes never re-bill it.
 */
import { z } from "zod";
import type { Price } from "../runs/contract";

const priceSchema = z.strictObject({
  input_per_mtok_usd: z.number().finite().min(0),
  output_per_mtok_usd: z.number().finite().min(0),
});
const tableSchema = z.record(z.string().min(1), priceSchema);

export type PriceTable = Record<string, Price>;

export class PriceTableError extends Error {
  override readonly name = "PriceTableError";
}

/** Parse the PRICES var; an empty or absent var is an empty table (every model free). */
export function parsePriceTable(raw: string | undefined): PriceTable {
  if (raw === undefined || raw.trim() === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new PriceTableError(`PRICES is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = tableSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PriceTableError(
      `PRICES is not a price table: at ${issue?.path.join(".") || "top level"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/** The model's price: its own entry, else its backend's `backend:*` entry, else none (free). */
export function priceOf(table: PriceTable, model: string): Price | undefined {
  const own = table[model];
  if (own) return own;
  const backend = model.split(":", 1)[0];
  return table[`${backend}:*`];
}
