// Fetches a gzip-compressed text file the way every server hands it out: a
// static server sends the .gz bytes as they are, while `vite preview` (and
// other servers) send them with `Content-Encoding: gzip`, so the browser has
// already inflated them. The gzip magic bytes (1f 8b) say which one arrived.

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The text of `bytes`, inflating them first when they are still gzip. */
export async function gunzipIfNeeded(bytes: Uint8Array): Promise<string> {
  if (!isGzip(bytes)) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

/** GETs `url` and returns its text; the error names the file and the HTTP status. */
export async function fetchGzipText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()));
}
