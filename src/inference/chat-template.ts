/**
 * The Llama 3 chat template (Llama 3.2 Vision adds the `<|image|>` token), rendered by hand so a
 * backend can send a raw prompt that ends inside the assistant turn: the model then continues the
 * accepted prefix instead of starting a new answer. Used by `workers-ai` (always raw) and by the
 * `openai` backend's completions mode.
 *
 * Special tokens typed by a user (`<|eot_id|>`, `<|start_header_id|>`…) would be parsed as real
 * turn boundaries in raw mode, so they are defused in every piece of text we did not write.
 */

export interface TemplatePrompt {
  /** Instructions: rendered at the start of the user turn (see below). */
  system?: string;
  user: string;
  assistant_prefix: string;
  with_image: boolean;
}

export const IMAGE_TOKEN = "<|image|>";

/** `<|name|>` becomes `<\u200b|name|>`: a zero-width space after `<` keeps the text readable but no longer a special token. */
export function defuseSpecialTokens(text: string): string {
  return text.replace(/<\|([A-Za-z0-9_]*)\|>/g, "<\u200b|$1|>");
}

/**
 * `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<|image|>{system}\n\n{user}<|eot_id|>`
 * `<|start_header_id|>assistant<|end_header_id|>\n\n{assistant_prefix}`.
 * Instructions go into the user turn, not a system turn: Meta's Llama 3.2 Vision guidance is that
 * a system prompt is not combined with an image, and one layout for both cases keeps prompts alike.
 */
export function renderLlama3Prompt(prompt: TemplatePrompt): string {
  const instructions = prompt.system ? `${defuseSpecialTokens(prompt.system)}\n\n` : "";
  const image = prompt.with_image ? IMAGE_TOKEN : "";
  return (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" +
    `${image}${instructions}${defuseSpecialTokens(prompt.user)}<|eot_id|>` +
    "<|start_header_id|>assistant<|end_header_id|>\n\n" +
    defuseSpecialTokens(prompt.assistant_prefix)
  );
}
