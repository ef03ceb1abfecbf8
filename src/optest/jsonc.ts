// JSON with comments (the format of onnxruntime-web's operator test tables):
// line and block comments, then trailing commas, are removed outside string
// literals, and the rest is parsed as JSON.

/** Calls `plain` for each stretch of text outside strings; strings are kept as they are. */
function mapOutsideStrings(text: string, plain: (s: string) => string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    out += plain(text.slice(from, i));
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    out += text.slice(start, ++i);
    from = i;
  }
  return out + plain(text.slice(from));
}

/** Removes comments (a comment may hold a quote, so this scan is its own). */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function stripJsonc(text: string): string {
  // A trailing comma may be followed by a ']' or '}' in the next plain stretch only
  // when no string intervenes, so a per-stretch regex suffices.
  return mapOutsideStrings(stripComments(text), (s) => s.replace(/,(\s*[\]}])/g, '$1'));
}

/** Parses JSONC; throws SyntaxError with the parser's message. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text));
}
