// A seeded generator of HTTP requests for the inference server, of the kinds
// a careless client or an attacker sends: deep nesting in shape, data and
// other fields, wrong content types, foreign Host headers, missing API keys,
// broken JSON, huge strings that must not be echoed, wrong datatypes and
// shapes, out-of-vocabulary token ids, prototype poisoning, oversized bodies,
// unknown routes, and valid requests whose answers are checked.
import { seeded } from '../../src/train/data.js';

export interface FuzzCase {
  kind: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** 'ok': must be 200 and pass `check`; 'client': must be a 4xx. */
  expect: 'ok' | 'client';
  check?: (json: unknown) => boolean;
}

/** The server's models: add (z = x + y, [batch, 3] float32) and embed (Gather rows of TABLE by ids [batch, 3]). */
export const VOCAB = 16;
export const WIDTH = 4;
export function embedTable(): Float32Array {
  return Float32Array.from({ length: VOCAB * WIDTH }, (_, i) => Math.fround(Math.sin(i + 1) * 3));
}

export const API_KEY = 'fuzz-key-0123456789';

const deep = (d: number, leaf = '1') => '['.repeat(d) + leaf + ']'.repeat(d);
const deepObj = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);

export function fuzzCases(seed: number, count: number): FuzzCase[] {
  const r = seeded(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const table = embedTable();
  const json = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  const post = (kind: string, path: string, body: string, expect: FuzzCase['expect'] = 'client', headers: Record<string, string> = json, check?: FuzzCase['check']): FuzzCase =>
    ({ kind, method: 'POST', path, headers, body, expect, check });
  const addBody = (batch: number, x: number[], y: number[]) => JSON.stringify({ inputs: [
    { name: 'x', datatype: 'FP32', shape: [batch, 3], data: x },
    { name: 'y', datatype: 'FP32', shape: [batch, 3], data: y },
  ] });
  const embedBody = (ids: (number | string)[], shape: unknown = [ids.length / 3, 3]) =>
    JSON.stringify({ inputs: [{ name: 'ids', datatype: 'INT64', shape, data: ids }] });
  const ADD = '/v2/models/add/infer';
  const EMBED = '/v2/models/embed/infer';

  const kinds: (() => FuzzCase)[] = [
    () => {
      const batch = int(1, 5);
      const x = Array.from({ length: batch * 3 }, () => Math.fround(r() * 20 - 10));
      const y = Array.from({ length: batch * 3 }, () => Math.fround(r() * 20 - 10));
      const want = x.map((v, i) => Math.fround(v + y[i]!));
      return post('valid add', ADD, addBody(batch, x, y), 'ok', json, (j) => sameNumbers(outputData(j, 'z'), want));
    },
    () => {
      const ids = Array.from({ length: 3 * int(1, 4) }, () => int(-VOCAB, VOCAB));
      const want = ids.flatMap((id) => Array.from(table.subarray(((id + VOCAB) % VOCAB) * WIDTH, ((id + VOCAB) % VOCAB + 1) * WIDTH)));
      return post('valid embed (negative ids count from the end)', EMBED, embedBody(ids), 'ok', json, (j) => sameNumbers(outputData(j, 'y'), want));
    },
    () => {
      const ids = Array.from({ length: 6 }, () => int(0, VOCAB));
      ids[int(0, 6)] = pick([VOCAB, VOCAB + int(0, 1000), -VOCAB - 1, 50_257, 2 ** 31 - 1]);
      return post('token id past the vocabulary', EMBED, embedBody(ids));
    },
    () => post('deep shape', ADD, `{"inputs":[{"name":"x","datatype":"FP32","shape":${deep(int(40, 100_000))},"data":[1,2,3]}]}`),
    () => post('deep data', ADD, `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":${deep(int(40, 100_000))}}]}`),
    () => post('deep object', ADD, `{"inputs":[],"parameters":${deepObj(int(40, 50_000))}}`),
    () => post('deep input_ids / max_tokens', pick(['/v2/models/gpt/generate', '/v2/models/add/generate']), `{"input_ids":${deep(int(40, 50_000))},"max_tokens":${deep(int(40, 50_000))}}`),
    () => post('wrong content type', ADD, addBody(1, [1, 2, 3], [4, 5, 6]), 'client', { ...json, 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'text/json']) }),
    () => post('no content type', ADD, addBody(1, [1, 2, 3], [4, 5, 6]), 'client', { authorization: json.authorization }),
    () => post('foreign Host (DNS rebinding)', ADD, addBody(1, [1, 2, 3], [4, 5, 6]), 'client', { ...json, host: pick(['evil.example', 'attacker.test:8000', 'localhost.evil.example', 'x'.repeat(300)]) }),
    () => post('missing or wrong API key', ADD, addBody(1, [1, 2, 3], [4, 5, 6]), 'client', pick([
      { 'content-type': 'application/json' },
      { ...json, authorization: 'Bearer wrong-key-0000000000' },
      { ...json, authorization: `Basic ${API_KEY}` },
      { ...json, authorization: `Bearer ${API_KEY}x` },
    ])),
    () => {
      const good = addBody(1, [1, 2, 3], [4, 5, 6]);
      return post('broken JSON', ADD, pick([good.slice(0, int(1, good.length - 1)), good.replace(':', ''), '{', '', 'null', 'undefined', "{'inputs':[]}", good + '}']));
    },
    () => {
      const s = 'A'.repeat(int(100_000, 400_000));
      return post('huge string (never echoed)', pick([ADD, EMBED]), pick([
        `{"inputs":[{"name":"${s}","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}`,
        `{"inputs":[{"name":"x","datatype":"${s}","shape":[1,3],"data":[1,2,3]}]}`,
        `{"inputs":[{"name":"x","datatype":"FP32","shape":["${s}",3],"data":[1,2,3]}]}`,
        `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":["${s}",2,3]}]}`,
        `{"inputs":[{"name":"ids","datatype":"INT64","shape":[1,3],"data":["${s}",2,3]}]}`,
      ]));
    },
    () => post('wrong datatype', ADD, JSON.stringify({ inputs: [{ name: 'x', datatype: pick(['INT64', 'FP16', 'BYTES', 'fp32', 7, null]), shape: [1, 3], data: [1, 2, 3] }, { name: 'y', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] })),
    () => post('wrong shape', ADD, JSON.stringify({ inputs: ['x', 'y'].map((name) => ({ name, datatype: 'FP32', shape: pick([[1, 4], [-1, 3], [1e12, 3], [0.5, 3], [1, 3, 1], [], 'x', [1, '3'], [2 ** 53, 3]]), data: [1, 2, 3] })) })),
    () => post('bad values', ADD, JSON.stringify({ inputs: ['x', 'y'].map((name) => ({ name, datatype: 'FP32', shape: [1, 3], data: [1, pick(['1', null, true, {}, [], 1e39, '-Infinity']), 3] })) })),
    () => post('bad token ids', EMBED, embedBody(pick([[1, 2, 1.5], [1, 2, 2 ** 40], [1, 2, '3'], [1, 2, -(2 ** 40)], [1, 2, null]]) as number[])),
    () => post('prototype poisoning', ADD, pick(['{"__proto__":{"inputs":1},"inputs":[]}', '{"constructor":{"prototype":{"x":1}},"inputs":[]}', '{"inputs":[{"__proto__":{"name":"x"}}]}'])),
    () => ({ kind: 'unknown model or route', method: pick(['GET', 'POST'] as const), path: pick(['/v2/models/nope/infer', '/v2/models/add/versions/9/infer', '/admin', '/v2/models/' + 'n'.repeat(5000), '/v2/models/%2e%2e/infer', '/../../etc/passwd']), headers: json, body: '{}', expect: 'client' }),
    () => ({ kind: 'wrong method', method: pick(['PUT', 'DELETE'] as const), path: pick([ADD, '/v2/models/add']), headers: json, body: '{}', expect: 'client' }),
    () => post('body too large', ADD, `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[${'1,'.repeat(int(600_000, 900_000))}1]}]}`),
    () => post('body not an object', pick([ADD, EMBED]), pick(['[]', '1', '"x"', 'true', '[{"name":"x"}]'])),
    () => post('inputs missing, empty or repeated', ADD, pick(['{}', '{"inputs":[]}', '{"inputs":{}}', addBody(1, [1, 2, 3], [1, 2, 3]).replace('"y"', '"x"'), JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] })])),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!());
}

export const FUZZ_KIND_COUNT = 23;

function outputData(j: unknown, name: string): number[] | undefined {
  const outs = (j as { outputs?: { name: string; data: number[] }[] }).outputs;
  return outs?.find((o) => o.name === name)?.data;
}

function sameNumbers(got: number[] | undefined, want: number[]): boolean {
  return !!got && got.length === want.length && got.every((v, i) => Math.fround(v) === Math.fround(want[i]!));
}
