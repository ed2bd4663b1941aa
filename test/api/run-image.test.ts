/** GET /v1/runs/:id/image: the run's input image, byte for byte, to its owner only. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JPEG_8x6_B64, PNG_8x6_B64, fromBase64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { BASE, expectError, postRun, validBody } from "./helpers";

const getImage = (id: string): Promise<Response> =>
  SELF.fetch(`${BASE}/v1/runs/${id}/image`, { headers: authHeaders() });

async function createdId(body: Record<string, unknown>): Promise<string> {
  const res = await postRun(body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return ((await res.json()) as { id: string }).id;
}

describe("GET /v1/runs/:id/image", () => {
  it("answers the image exactly as it was sent, with its media type", async () => {
    for (const [data, type] of [
      [PNG_8x6_B64, "image/png"],
      [JPEG_8x6_B64, "image/jpeg"],
    ] as const) {
      const id = await createdId(validBody({ image: { data, media_type: type } }));
      const res = await getImage(id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("cache-control")).toContain("private");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(fromBase64(data));
    }
  });

  it("a run without an image: 404 saying so; an unknown or malformed id: the usual 404", async () => {
    const body = validBody();
    delete body.image;
    const id = await createdId(body);
    await expectError(await getImage(id), 404, /created without an image/, { code: "run_has_no_image", param: "id" });
    await expectError(await getImage("run_nope"), 404, /no run with id "run_nope"/, { code: "run_not_found" });
    const unauthenticated = await SELF.fetch(`${BASE}/v1/runs/${id}/image`);
    expect(unauthenticated.status).toBe(401);
  });
});
