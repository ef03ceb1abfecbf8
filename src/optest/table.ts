// The operator test tables: onnxruntime-web's js/web/test/data/ops/*.jsonc
// format, read by path (never copied into the project), checked into typed
// tests. Each test gets a stable id ("file: name", "#2" for a repeated name).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { OpTableFormatError } from './errors.js';
import { parseJsonc } from './jsonc.js';

export interface OpTensor {
  /** Element type as the tables write it: float32, int32, int64, bool, uint32, float16... */
  type: string;
  dims: number[];
  data: (number | boolean)[];
}

export interface OpCase {
  name: string;
  inputs: OpTensor[];
  outputs: OpTensor[];
}

export interface OpAttribute {
  name: string;
  type: string;
  data: unknown;
}

export interface OpTest {
  /** "file: name", with " #k" for the k-th test of that name in the file. */
  id: string;
  file: string;
  name: string;
  operator: string;
  opset?: { domain: string; version: number };
  attributes: OpAttribute[];
  /** "rankOnly" or "none" (onnxruntime-web's input declarations); the harness declares static shapes either way. */
  inputShapeDefinitions?: unknown;
  cases: OpCase[];
}

/** The tables' folder by default: ../shared/optests beside the package root, or $HANDOVER_OPTESTS. */
export function defaultTableDir(): string {
  if (process.env.HANDOVER_OPTESTS) return resolve(process.env.HANDOVER_OPTESTS);
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, '..', 'shared', 'optests');
}

/** The .jsonc files of each path (a file, or a folder's files in name order). */
export function tableFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p} (the operator test tables are read by path, by default from ../shared/optests)`);
    if (statSync(p).isDirectory()) out.push(...readdirSync(p).filter((f) => f.endsWith('.jsonc')).sort().map((f) => join(p, f)));
    else out.push(p);
  }
  return out;
}

export function readTable(path: string): OpTest[] {
  const file = basename(path);
  let raw: unknown;
  try {
    raw = parseJsonc(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new OpTableFormatError(file, '', `not valid JSONC: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(raw)) throw new OpTableFormatError(file, '', 'the top level must be an array of tests');
  const seen = new Map<string, number>();
  return raw.map((t, i) => {
    const test = checkTest(file, t, `test ${i}`);
    const k = (seen.get(test.name) ?? 0) + 1;
    seen.set(test.name, k);
    return { ...test, id: `${file}: ${test.name}${k > 1 ? ` #${k}` : ''}` };
  });
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkTest(file: string, t: unknown, where: string): Omit<OpTest, 'id'> {
  const bad = (reason: string) => new OpTableFormatError(file, where, reason);
  if (!isObj(t)) throw bad('a test must be an object');
  if (typeof t.name !== 'string') throw bad('name must be a string');
  where = `test '${t.name}'`;
  if (typeof t.operator !== 'string') throw bad('operator must be a string');
  let opset: OpTest['opset'];
  if (t.opset !== undefined) {
    if (!isObj(t.opset) || typeof t.opset.version !== 'number') throw bad('opset must be {domain, version}');
    opset = { domain: typeof t.opset.domain === 'string' ? t.opset.domain : '', version: t.opset.version };
  }
  const attrs = t.attributes ?? [];
  if (!Array.isArray(attrs) || attrs.some((a) => !isObj(a) || typeof a.name !== 'string' || typeof a.type !== 'string'))
    throw bad('attributes must be an array of {name, type, data}');
  if (!Array.isArray(t.cases)) throw bad('cases must be an array');
  const cases = t.cases.map((c, i) => checkCase(file, c, `${where}, case ${i}`));
  return {
    file, name: t.name, operator: t.operator, opset,
    attributes: (attrs as Obj[]).map((a) => ({ name: a.name as string, type: a.type as string, data: a.data })),
    inputShapeDefinitions: t.inputShapeDefinitions, cases,
  };
}

function checkCase(file: string, c: unknown, where: string): OpCase {
  const bad = (reason: string) => new OpTableFormatError(file, where, reason);
  if (!isObj(c) || typeof c.name !== 'string') throw bad('a case must be an object with a name');
  where = `${where.replace(/, case \d+$/, '')}, case '${c.name}'`;
  const tensors = (v: unknown, what: string): OpTensor[] => {
    if (!Array.isArray(v)) throw bad(`${what} must be an array`);
    return v.map((x, i) => {
      if (!isObj(x) || typeof x.type !== 'string') throw bad(`${what}[${i}] must be {data, dims, type}`);
      if (!Array.isArray(x.dims) || x.dims.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`${what}[${i}].dims must be non-negative integers`);
      if (!Array.isArray(x.data) || x.data.some((d) => typeof d !== 'number' && typeof d !== 'boolean')) throw bad(`${what}[${i}].data must be an array of numbers or booleans`);
      const n = (x.dims as number[]).reduce((a, b) => a * b, 1);
      if (x.data.length !== n) throw bad(`${what}[${i}] holds ${x.data.length} values; dims [${x.dims}] need ${n}`);
      return { type: x.type, dims: x.dims as number[], data: x.data as (number | boolean)[] };
    });
  };
  return { name: c.name, inputs: tensors(c.inputs, 'inputs'), outputs: tensors(c.outputs, 'outputs') };
}
