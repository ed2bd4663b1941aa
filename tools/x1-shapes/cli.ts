/**
 * X1-Shapes command line (bundled by tools/x1-shapes/run.sh with esbuild, then run with node); each
 * command lives in a cmd-*.ts file, what they write and read in dataset.ts:
 *   vocab  --scenes N                      build tools/train/tokenizer.json from a train sample
 *   gen    --split S --scenes N [--from I] [--per-scene K] [--jsonl] --out DIR
 *                                          (--from: first scene index, for more train data)
 *          [--judge-format copy|plain]     the judge's reply (judge-reply.ts); plain for runs 1-7
 *          [--choice-format letter|walk|check]
 *                                          multiple-choice reasoning (items.ts); walk only for the
 *                                          run 11 experiment, check for runs 22-23
 *          [--family F]                    one question per scene, of family F (else 3 families)
 *          [--lookup K]                    K option-lookup drills per scene (lookup.ts); with
 *                                          --per-scene 0, drills only
 *          [--reorder K]                   each multiple-choice item also in K other option
 *                                          orders, loss from the letter on (items.ts)
 *                                          images.u8, tokens.u16, index.i32 (+ items/examples JSONL)
 *   mined  --from DIR --pairs FILE --out DIR
 *                                          judge items from the model's own wrong stages
 *                                          (tools/train/mine.py wrote FILE from the --jsonl split
 *                                          DIR): both orders each, judge examples only, DIR's images
 *   verify --from DIR --samples FILE --out DIR [--positives R] [--planted P] [--all]
 *                                          verifier items from the model's own samples, labelled
 *                                          (tools/train/mine.py --all; labels.ts): every wrong one, R
 *                                          right ones per wrong one per stage, and with probability
 *                                          P per item and stage a planted wrong candidate and its
 *                                          reference; --all: every sample once, grouped, to evaluate
 *   commit                                 data/x1-shapes: samples, dev subset, tokenizer vectors
 *   check                                  the committed data regenerate identically (determinism,
 *                                          tokenizer vectors)
 */
import { commit, check } from "./cmd-commit";
import { gen, vocab } from "./cmd-gen";
import { mined, verify } from "./cmd-mined";

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith("--")) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
      else {
        out[a.slice(2)] = next;
        i++;
      }
    }
  }
  return out;
}

const [cmd, ...rest] = process.argv.slice(2);
const a = args(rest);
if (cmd === "vocab") vocab(a);
else if (cmd === "gen") gen(a);
else if (cmd === "mined") mined(a);
else if (cmd === "verify") verify(a);
else if (cmd === "commit") commit();
else if (cmd === "check") check();
else {
  console.error("usage: x1-shapes vocab|gen|mined|verify|commit|check [--options] (see the top of cli.ts)");
  process.exit(2);
}
