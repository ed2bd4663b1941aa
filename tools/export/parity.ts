/**
 * Parity: the fp32 and int8 ONNX models, decoded by the embedded backend's own code (X1Model on
 * onnxruntime-node), against the torch reference (parity_torch.py) on the same committed dev items:
 * greedy four-stage answers (one stage at a time through the engine's stage prompts) and direct
 * answers. Prints agreement and accuracies; exits 1 when the int8 accuracy loss exceeds --max-loss.
 * Usage (tools/export/build.sh runs it): node parity.mjs --torch T.json --fp32 DIR --int8 DIR [--wasm]
 * --int8-same-as EARLIER.json also counts the items whose int8 outputs (all four stages and the
 * direct answer) are identical to an earlier parity run's: a re-export that should change nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { greedyStages } from "../../src/inference/embedded/greedy";
import { STAGES } from "../../src/reasoning/stages";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import { answerOk, type DevItem } from "../eval/answers";
import { dirSource, nodeRuntime, webRuntimeInNode } from "../eval/node-runtime";

const DIRECT_SUFFIX = "\nAnswer with a single word, number or option.";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

interface Out {
  id: string;
  stages: Record<string, string>;
  direct: string;
  ok: boolean;
  direct_ok: boolean;
}

async function runModel(dir: string, items: DevItem[], wasm: boolean): Promise<Out[]> {
  const runtime = wasm ? await webRuntimeInNode() : await nodeRuntime(dir);
  const model = await X1Model.create(await loadModelFiles(dirSource(dir)), runtime);
  const tok = model.tokenizer;
  const outs: Out[] = [];
  for (const it of items) {
    const rgb = toModelImage(
      await decodeImage(Buffer.from(it.image_png_base64, "base64")),
      model.manifest.architecture.image_size,
    );
    const imageEmbeds = await model.encodeImage(rgb);
    const greedy = { n: 1, seeds: [0], temperature: 0, topP: 1, imageEmbeds };
    const accepted = await greedyStages(model, it.question, imageEmbeds);
    const d = await model.decode({
      ...greedy,
      promptIds: tok.encodePrompt({ user: it.question + DIRECT_SUFFIX, assistant_prefix: "", with_image: true }),
      maxTokens: 16,
      stop: [],
    });
    const direct = (d.candidates[0]?.text ?? "").trim();
    outs.push({
      id: it.id,
      stages: accepted,
      direct,
      ok: answerOk(accepted.CONCLUSION ?? "", it.answer),
      direct_ok: answerOk(direct, it.answer),
    });
  }
  return outs;
}

const ref = JSON.parse(readFileSync(arg("torch"), "utf8")) as { items: (Out & { answer: string })[] };
const all = readFileSync("data/x1-shapes/dev/dev.jsonl", "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as DevItem);
const items = ref.items.map((r) => all.find((it) => it.id === r.id) as DevItem);
const wasm = process.argv.includes("--wasm");
const report: Record<string, unknown> = {
  items: items.length,
  runtime: wasm ? "onnxruntime-web (wasm, Node)" : "onnxruntime-node",
};
const acc = (o: { ok: boolean }[]) => o.filter((x) => x.ok).length / o.length;
const lines = [
  `${"model".padEnd(8)}${"4-stage".padStart(9)}${"direct".padStart(9)}${"same answer".padStart(13)}${"same text".padStart(11)}${"same direct".padStart(13)}`,
];
lines.push(
  `${"torch".padEnd(8)}${acc(ref.items).toFixed(3).padStart(9)}${acc(ref.items.map((r) => ({ ok: r.direct_ok })))
    .toFixed(3)
    .padStart(9)}`,
);
for (const kind of ["fp32", "int8"] as const) {
  const started = Date.now();
  const outs = await runModel(arg(kind), items, wasm);
  const sameAnswer = outs.filter((o, i) => o.stages.CONCLUSION === ref.items[i]?.stages.CONCLUSION).length;
  const sameText = outs.filter((o, i) => STAGES.every((s) => o.stages[s] === ref.items[i]?.stages[s])).length;
  const sameDirect = outs.filter((o, i) => o.direct === ref.items[i]?.direct).length;
  report[kind] = {
    accuracy: acc(outs),
    direct_accuracy: acc(outs.map((o) => ({ ok: o.direct_ok }))),
    same_conclusion: sameAnswer,
    same_all_stages: sameText,
    same_direct: sameDirect,
    seconds: (Date.now() - started) / 1000,
    outputs: outs,
  };
  lines.push(
    `${kind.padEnd(8)}${acc(outs).toFixed(3).padStart(9)}${acc(outs.map((o) => ({ ok: o.direct_ok })))
      .toFixed(3)
      .padStart(
        9,
      )}${`${sameAnswer}/${outs.length}`.padStart(13)}${`${sameText}/${outs.length}`.padStart(11)}${`${sameDirect}/${outs.length}`.padStart(13)}`,
  );
}
if (process.argv.includes("--int8-same-as")) {
  const earlier = JSON.parse(readFileSync(arg("int8-same-as"), "utf8")) as { int8: { outputs: Out[] } };
  const before = new Map(earlier.int8.outputs.map((o) => [o.id, o]));
  const outs = (report.int8 as { outputs: Out[] }).outputs;
  const same = outs.filter((o) => {
    const e = before.get(o.id);
    return e !== undefined && e.direct === o.direct && STAGES.every((s) => e.stages[s] === o.stages[s]);
  }).length;
  report.int8_same_as = { file: arg("int8-same-as"), identical: same, items: outs.length };
  lines.push(`int8 outputs identical to ${arg("int8-same-as")}'s: ${same}/${outs.length}`);
}
const loss = acc(ref.items) - (report.int8 as { accuracy: number }).accuracy;
lines.push(`int8 accuracy loss vs torch: ${(loss * 100).toFixed(1)} points (agreement columns compare with torch)`);
console.log(lines.join("\n"));
const out = process.argv.includes("--out") ? arg("out") : "";
if (out) writeFileSync(out, JSON.stringify({ ...report, table: lines }, null, 1) + "\n");
if (loss * 100 > Number(process.argv.includes("--max-loss") ? arg("max-loss") : "100")) process.exit(1);
