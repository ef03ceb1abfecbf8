// Text to token ids and back for the OpenAI-compatible routes. The served
// decoders (tiny_gpt_kv) come with no vocabulary file, so the default is a
// byte tokenizer: ids 0..255 are the prompt's UTF-8 bytes, and an id the
// bytes do not cover (>= 256) is written as `<|id|>`. A model with a real
// vocabulary plugs in its own TextTokenizer.
import { BadRequestError } from './errors.js';

export interface TextTokenizer {
  readonly name: string;
  encode(text: string): number[];
  /** A decoder for one response: feed ids as they come; multi-byte characters wait for their last byte. */
  streamDecoder(): (ids: number[], final?: boolean) => string;
}

export class ByteTokenizer implements TextTokenizer {
  readonly name = 'bytes';
  private readonly encoder = new TextEncoder();

  constructor(readonly vocab: number) {
    if (vocab < 256) throw new RangeError(`a byte tokenizer needs a vocabulary of at least 256 ids, the model has ${vocab}`);
  }

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  streamDecoder(): (ids: number[], final?: boolean) => string {
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    return (ids, final = false) => {
      let text = '';
      let bytes: number[] = [];
      const flush = (last: boolean) => {
        text += utf8.decode(Uint8Array.from(bytes), { stream: !last });
        bytes = [];
      };
      for (const id of ids) {
        if (id < 256) bytes.push(id);
        else (flush(true), (text += `<|${id}|>`));
      }
      flush(final);
      return text;
    };
  }
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'developer' | 'tool';
  content: string;
}

/**
 * The chat template for a decoder trained without one: each message on its
 * own line as `role: content`, then `assistant:` for the model to continue.
 */
export function chatPrompt(messages: ChatMessage[]): string {
  if (messages.length === 0) throw new BadRequestError("'messages' must hold at least one message");
  return `${messages.map((m) => `${m.role}: ${m.content}`).join('\n')}\nassistant:`;
}
