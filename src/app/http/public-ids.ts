/**
 * Public ids of Durable Objects: `<kind>_` + the object's 64-hex id (`run_…`, `batch_…`). The id
 * alone finds the object, with no index lookup, and `idFromString` rejects ids the namespace never
 * issued; anything that is not one of ours is a 404 that names the kind.
 */
import { z } from "zod";
import { ApiError } from "../errors";

export interface PublicIds {
  readonly pattern: RegExp;
  /** The `{id}` path parameter of the kind's routes, for their OpenAPI declaration. */
  readonly param: z.ZodObject<{ id: z.ZodString }>;
  /** The public id of an object. */
  format(id: DurableObjectId): string;
  /** 404 `<kind>_not_found`, quoting (at most 80 characters of) the id asked for. */
  notFound(id: string): ApiError;
  /** The object id behind a public id; `notFound` for anything this namespace never issued. */
  parse(ns: { idFromString(hex: string): DurableObjectId }, id: string): DurableObjectId;
}

export function publicIds(kind: string): PublicIds {
  const prefix = `${kind}_`;
  const pattern = new RegExp(`^${prefix}[0-9a-f]{64}$`);
  const notFound = (id: string): ApiError =>
    new ApiError(404, "not_found_error", `no ${kind} with id "${id.length > 80 ? `${id.slice(0, 80)}…` : id}"`, {
      param: "id",
      code: `${kind}_not_found`,
    });
  const param = z.object({
    id: z
      .string()
      .regex(pattern)
      .meta({ description: `A ${kind} id (\`${prefix}\` + 64 hex digits).`, example: `${prefix}${"0".repeat(64)}` }),
  });
  return {
    pattern,
    param,
    format: (id) => `${prefix}${id.toString()}`,
    notFound,
    parse(ns, id) {
      if (!pattern.test(id)) throw notFound(id);
      try {
        return ns.idFromString(id.slice(prefix.length));
      } catch {
        throw notFound(id);
      }
    },
  };
}
