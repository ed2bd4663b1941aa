/**
 * `npm run eval`: a split through the real engine (runInMemory + the embedded backend, the same
 * X1Model decoding code as in the Worker, on onnxruntime-node over model-shards/), one table:
 * accuracy per question family and overall, tokens and seconds per question, for
 *   direct answer · greedy four-stage · one sampled four-stage answer (T = 0.6) ·
 *   stage_beam N=2 judge · stage_beam N=4 judge · stage_beam N=4 logprob · best_of_n N=4 judge ·
 *   stage_beam and best_of_n N=4 with the verifier scorer (beam4v, bon4v; src/inference/embedded/verifier.ts)
 * and the judge's accuracy on the split's held-out judge items (pairs it never trained on).
 *
 *   npm run eval -- [--split test|dev] [--limit N] [--modes direct,greedy,...] [--judge-limit N]
 *                   [--threads 1] [--wasm | --x1] [--out tools/eval/results-test.json] [--dump runs.jsonl] [--skip-judge]
 * --x1 runs the Worker's own engine (src/inference/embedded/x1) instead of onnxruntime-node, and
 * --wasm onnxruntime-web's wasm build.
 * --dump writes one JSON line per question and search mode: the answer, whether it is right, the
 * reference stages and the run's whole search tree (candidates, matches, judge replies), for post-mortems.
 * --split test|dev reads tools/.cache/x1-shapes/<split> (tools/train/run.sh makes it); without that
 * directory (a fresh clone) the committed dev set data/x1-shapes/dev/dev.jsonl is used.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_TEMPERATURE, DEFAULT_TOP_P } from "../../src/app/http/limits";
import { EmbeddedBackend } from "../../src/inference/embedded/backend";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { withModelVerifier } from "../../src/inference/embedded/verifier";
import type { ImageInput } from "../../src/inference/backend";
import { buildJudgePrompt, parseVerdict, readJudgeReply } from "../../src/reasoning/judge";
import { runInMemory } from "../../src/reasoning/memory-executor";
import { JUDGE_MAX_TOKENS } from "../../src/reasoning/steps";
import type { Stage } from "../../src/reasoning/stages";
import type { RunSpec, SearchConfig } from "../../src/reasoning/types";
import { encodePng } from "../x1-shapes/png";
import { answerOk } from "./answers";
import { dirSource, nodeRuntime, webRuntimeInNode, x1RuntimeInNode } from "./node-runtime";

interface Item {
  id: string;
  family: string;
  question: string;
  answer: string;
  stages?: Partial<Record<Stage, string>>;
  judge: {
    stage: Stage | "ANSWER";
    context: Partial<Record<Stage, string>>;
    first: string;
    second: string;
    better: number;
  }[];
  image: ImageInput;
}

const DIRECT_SUFFIX = "\nAnswer with a single word, number or option.";

interface Mode {
  name: string;
  /** Not in the default table: run it by name (`--modes beam4,beam4_sum_lp`). */
  diagnostic?: boolean;
  search?: SearchConfig;
}

const MODES: Record<string, Mode> = {
  direct: { name: "direct answer" },
  greedy: { name: "greedy 4-stage", search: { strategy: "greedy", candidates: 1, keep: 1, scorer: "judge" } },
  sampled: {
    name: "sampled 4-stage T=0.6",
    search: { strategy: "stage_beam", candidates: 1, keep: 1, scorer: "judge" },
  },
  beam2: { name: "stage_beam N=2 judge", search: { strategy: "stage_beam", candidates: 2, keep: 1, scorer: "judge" } },
  beam4: { name: "stage_beam N=4 judge", search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge" } },
  beam4lp: {
    name: "stage_beam N=4 logprob",
    search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "logprob" },
  },
  // Where the judge's search loses: the same search with SUMMARY (judged without a reference) scored by logprob, or not searched.
  beam4_sum_lp: {
    name: "stage_beam N=4 judge, SUMMARY by logprob",
    diagnostic: true,
    search: {
      strategy: "stage_beam",
      candidates: 4,
      keep: 1,
      scorer: "judge",
      stages: { SUMMARY: { scorer: "logprob" } },
    },
  },
  beam4_sum_1: {
    name: "stage_beam N=4 judge, SUMMARY 1 candidate",
    diagnostic: true,
    search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge", stages: { SUMMARY: { candidates: 1 } } },
  },
  // The judge in both orders (search.judge_orders = 2): a verdict counts only if it survives the swap.
  beam2x2: {
    name: "stage_beam N=2 judge, both orders",
    diagnostic: true,
    search: { strategy: "stage_beam", candidates: 2, keep: 1, scorer: "judge", judge_orders: 2 },
  },
  beam4x2: {
    name: "stage_beam N=4 judge, both orders",
    diagnostic: true,
    search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge", judge_orders: 2 },
  },
  bon4: { name: "best_of_n N=4 judge", search: { strategy: "best_of_n", candidates: 4, keep: 1, scorer: "judge" } },
  // The verifier scorer: P(CORRECT) after the verify prompt (src/inference/embedded/verifier.ts).
  beam4v: {
    name: "stage_beam N=4 verifier",
    search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "verifier" },
  },
  bon4v: {
    name: "best_of_n N=4 verifier",
    search: { strategy: "best_of_n", candidates: 4, keep: 1, scorer: "verifier" },
  },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function loadItems(split: string, limit: number): { items: Item[]; source: string } {
  const dir = join("tools/.cache/x1-shapes", split);
  if (existsSync(join(dir, "items.jsonl"))) {
    const stats = JSON.parse(readFileSync(join(dir, "stats.json"), "utf8")) as { image_size: number };
    const s = stats.image_size;
    const images = readFileSync(join(dir, "images.u8"));
    const lines = readFileSync(join(dir, "items.jsonl"), "utf8")
      .trim()
      .split("\n")
      .slice(0, limit || undefined);
    const items = lines.map((line) => {
      const it = JSON.parse(line) as Omit<Item, "image"> & { img: number };
      const rgb = images.subarray(it.img * s * s * 3, (it.img + 1) * s * s * 3);
      return { ...it, image: { bytes: new Uint8Array(encodePng(s, s, rgb)), media_type: "image/png" as const } };
    });
    return { items, source: `${dir} (${split} split)` };
  }
  const lines = readFileSync("data/x1-shapes/dev/dev.jsonl", "utf8")
    .trim()
    .split("\n")
    .slice(0, limit || undefined);
  const items = lines.map((line) => {
    const it = JSON.parse(line) as Omit<Item, "image"> & { image_png_base64: string };
    return {
      ...it,
      image: { bytes: new Uint8Array(Buffer.from(it.image_png_base64, "base64")), media_type: "image/png" as const },
    };
  });
  return { items, source: "data/x1-shapes/dev/dev.jsonl (committed dev subset)" };
}

interface Tally {
  ok: Record<string, number>;
  n: Record<string, number>;
  tokens: number;
  ms: number;
}

async function main(): Promise<void> {
  const split = arg("split", "test");
  const limit = Number(arg("limit", "0"));
  const modes = arg(
    "modes",
    Object.keys(MODES)
      .filter((k) => !MODES[k]?.diagnostic)
      .join(","),
  ).split(",");
  const dir = arg("model", "model-shards");
  const wasm = process.argv.includes("--wasm");
  const files = await loadModelFiles(dirSource(dir));
  const runtime = process.argv.includes("--x1")
    ? await x1RuntimeInNode(files.manifest.architecture)
    : wasm
      ? await webRuntimeInNode()
      : await nodeRuntime(dir, Number(arg("threads", "1")));
  const model = await X1Model.create(files, runtime);
  const backend = new EmbeddedBackend({ id: "embedded:x1-shapes-tiny", model: async () => model });
  const verifier = withModelVerifier(backend, model);
  const { items, source } = loadItems(split, limit);
  const families = [...new Set(items.map((it) => it.family))].sort();
  console.log(
    `${model.manifest.model} ${model.manifest.version} on ${runtime.name}; ${items.length} questions from ${source}`,
  );

  const dumpPath = arg("dump", "");
  const dump: string[] = [];
  const tallies = new Map<string, Tally>();
  for (const key of modes) {
    const mode = MODES[key];
    if (!mode) throw new Error(`unknown mode ${key} (known: ${Object.keys(MODES).join(", ")})`);
    const t: Tally = { ok: {}, n: {}, tokens: 0, ms: 0 };
    for (const [k, it] of items.entries()) {
      const started = Date.now();
      let answer: string;
      if (!mode.search) {
        const r = await backend.generate({
          purpose: "generate",
          prompt: { user: it.question + DIRECT_SUFFIX, assistant_prefix: "", with_image: true },
          n: 1,
          seeds: [k],
          stop: [],
          max_tokens: 16,
          temperature: 0,
          top_p: 1,
          logprobs: false,
          image: it.image,
        });
        answer = r.generations[0]?.text.trim() ?? "";
        t.tokens += (r.usage.input_tokens ?? 0) + (r.usage.output_tokens ?? 0);
      } else {
        const spec: RunSpec = {
          question: it.question,
          has_image: true,
          search: mode.search,
          // Sampling as a user gets it: the API's defaults (the reference method's T=0.6, top_p 0.9).
          // Until run 9 this tool sampled the searches at T=0.8, top_p 0.95 and only "sampled" at 0.6.
          sampling: {
            temperature: DEFAULT_TEMPERATURE,
            top_p: DEFAULT_TOP_P,
            max_tokens_per_stage: 128,
            seed: 1000 + k,
          },
        };
        const run = await runInMemory(spec, backend, { image: it.image, schedule: "concurrent", verifier });
        answer = run.result.answer;
        for (const o of run.done.values()) t.tokens += (o.usage.input_tokens ?? 0) + (o.usage.output_tokens ?? 0);
        if (dumpPath) {
          dump.push(
            JSON.stringify({
              mode: key,
              id: it.id,
              family: it.family,
              question: it.question,
              gold: it.answer,
              gold_stages: it.stages,
              answer,
              ok: answerOk(answer, it.answer),
              trace: run.trace,
            }),
          );
        }
      }
      t.ms += Date.now() - started;
      t.ok[it.family] = (t.ok[it.family] ?? 0) + Number(answerOk(answer, it.answer));
      t.n[it.family] = (t.n[it.family] ?? 0) + 1;
    }
    tallies.set(key, t);
    if (dumpPath) writeFileSync(dumpPath, dump.join("\n") + "\n");
    const total = Object.values(t.ok).reduce((a, b) => a + b, 0);
    console.log(
      `  ${mode.name}: ${(total / items.length).toFixed(3)} (${(t.ms / items.length / 1000).toFixed(3)} s/question)`,
    );
  }

  // The judge on held-out pairs: the split's judge items, order as generated (Response 1 / 2).
  const judgeLimit = Number(arg("judge-limit", "0"));
  // --skip-judge: only the modes (a post-mortem of searches does not need the held-out pairs).
  const pairs = process.argv.includes("--skip-judge")
    ? []
    : items.flatMap((it) => it.judge.map((j) => ({ it, j }))).slice(0, judgeLimit || undefined);
  // Two readings of each reply: the engine's (the side closer to the judge's own reference, else its
  // verdict line; what `scorer: judge` uses) and the verdict line alone.
  const judge: Record<string, [number, number]> = {};
  const verdictLine: Record<string, number> = {};
  for (const { it, j } of pairs) {
    const r = await backend.generate({
      purpose: "judge",
      prompt: buildJudgePrompt(j.stage, it.question, j.context, j.first, j.second),
      n: 1,
      seeds: [0],
      stop: [],
      max_tokens: JUDGE_MAX_TOKENS,
      temperature: 0,
      top_p: 1,
      logprobs: false,
      image: it.image,
    });
    const text = r.generations[0]?.text ?? "";
    const verdict = readJudgeReply(j.stage, text, j.first, j.second).winner;
    const cell = (judge[j.stage] ??= [0, 0]);
    cell[0] += Number(verdict === j.better);
    verdictLine[j.stage] = (verdictLine[j.stage] ?? 0) + Number(parseVerdict(text).winner === j.better);
    cell[1] += 1;
  }

  const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : "–");
  const header = ["mode", ...families, "overall", "tokens/q", "s/q"];
  const rows = [...tallies.entries()].map(([key, t]) => {
    const ok = Object.values(t.ok).reduce((a, b) => a + b, 0);
    return [
      MODES[key]?.name ?? key,
      ...families.map((f) => pct(t.ok[f] ?? 0, t.n[f] ?? 0)),
      pct(ok, items.length),
      (t.tokens / items.length).toFixed(0),
      (t.ms / items.length / 1000).toFixed(3),
    ];
  });
  const table = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  const jOk = Object.values(judge).reduce((a, [o]) => a + o, 0);
  const judgeLine =
    `judge accuracy on ${pairs.length} held-out judge items: ${pct(jOk, pairs.length)}% (` +
    Object.entries(judge)
      .map(([s, [o, n]]) => `${s} ${pct(o, n)}%`)
      .join(", ") +
    ")";
  const vOk = Object.values(verdictLine).reduce((a, b) => a + b, 0);
  const verdictLineLine =
    `the verdict line alone: ${pct(vOk, pairs.length)}% (` +
    Object.entries(judge)
      .map(([s, [, n]]) => `${s} ${pct(verdictLine[s] ?? 0, n)}%`)
      .join(", ") +
    ")";
  console.log(
    `\n${items.length} questions (${source}), accuracy in %\n${table.join("\n")}\n\n${judgeLine}\n${verdictLineLine}`,
  );
  const out = arg("out", "");
  if (out) {
    writeFileSync(
      out,
      JSON.stringify(
        {
          model: model.manifest.model,
          version: model.manifest.version,
          runtime: runtime.name,
          source,
          questions: items.length,
          table,
          judge: {
            items: pairs.length,
            per_stage: judge,
            line: judgeLine,
            verdict_line: { per_stage: verdictLine, line: verdictLineLine },
          },
          tallies: Object.fromEntries(tallies),
        },
        null,
        1,
      ) + "\n",
    );
  }
}

await main();
