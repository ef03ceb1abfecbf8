// The KServe v2 GRPCInferenceService (proto/grpc_service.proto) on
// @grpc/grpc-js, sharing the HTTP server's handlers: the same metadata, the
// same request checks (a gRPC request becomes the HTTP JSON or binary form),
// the same InferService (queues, deadlines, batching, statistics) and the
// same repository. Outputs come back as raw_output_contents, as Triton's
// gRPC clients read them. HTTP statuses map to gRPC codes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { BinaryBody } from './binary.js';
import { BadRequestError } from './errors.js';
import { MODEL_VERSION, modelMetadata, serverMetadata } from './routes.js';
import { statusOf, type ServerParts } from './server.js';
import { encodeInferResponse, parseInferRequest } from './tensors.js';

/** proto/grpc_service.proto in the package root above this file (src/serve or dist/src/serve). */
export function protoPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'proto', 'grpc_service.proto');
    if (existsSync(p)) return p;
  }
  throw new Error('proto/grpc_service.proto not found above the serve module');
}

export function loadInferenceService(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } };
  return pkg.inference.GRPCInferenceService.service;
}

/** The gRPC code for an HTTP status the shared handlers chose. */
export function grpcCode(status: number): grpc.status {
  if (status === 400 || status === 413) return grpc.status.INVALID_ARGUMENT;
  if (status === 404) return grpc.status.NOT_FOUND;
  if (status === 429) return grpc.status.RESOURCE_EXHAUSTED;
  if (status === 499) return grpc.status.CANCELLED;
  if (status === 503) return grpc.status.UNAVAILABLE;
  return grpc.status.INTERNAL;
}

type Unary = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>) => Promise<unknown>;

interface GrpcTensor {
  name: string;
  datatype: string;
  shape: string[];
  parameters?: Record<string, Record<string, unknown>>;
  contents?: Record<string, unknown[]> | null;
}

/** Starts the service on host:port; resolves with the bound port and a stop function. */
export async function startGrpc(parts: ServerParts, host: string, port: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const { store, service, repository } = parts;
  const handlers: Record<string, Unary> = {
    ServerLive: async () => ({ live: true }),
    ServerReady: async () => ({ ready: true }),
    ModelReady: async (c) => ({ ready: store.get(String(c.request.name)) !== undefined && !service.unavailable.has(String(c.request.name)) }),
    ServerMetadata: async () => serverMetadata(),
    ModelMetadata: async (c) => modelMetadata(lookup(c.request)),
    ModelInfer: async (c) => infer(c),
    ModelStatistics: async (c) => ({
      model_stats: (c.request.name ? [lookup(c.request).name] : store.list().map((m) => m.name)).map((n) => service.statsOf(n).toJSON(MODEL_VERSION)),
    }),
    RepositoryIndex: async () => ({ models: repository.index() }),
    RepositoryModelLoad: async (c) => (await repository.load(String(c.request.model_name)), {}),
    RepositoryModelUnload: async (c) => (await repository.unload(String(c.request.model_name)), {}),
  };

  const lookup = (r: Record<string, unknown>) => {
    const info = service.model(String(r.name ?? r.model_name));
    const v = String(r.version ?? r.model_version ?? '');
    if (v !== '' && v !== MODEL_VERSION) throw new BadRequestError(`model '${info.name}' has no version '${v}' (only '1')`);
    return info;
  };

  const infer = async (c: grpc.ServerUnaryCall<Record<string, unknown>, unknown>) => {
    const r = c.request;
    const info = lookup(r);
    const raw = (r.raw_input_contents as Buffer[] | undefined) ?? [];
    const inputs = (r.inputs as GrpcTensor[]).map((t, i) => {
      const base = { name: t.name, datatype: t.datatype, shape: t.shape.map(Number) };
      if (raw.length > 0) {
        if (!raw[i]) throw new BadRequestError(`raw_input_contents has ${raw.length} entries for ${(r.inputs as unknown[]).length} inputs`);
        return { ...base, parameters: { binary_data_size: raw[i]!.length } };
      }
      return { ...base, data: contentsOf(t) };
    });
    const outputs = (r.outputs as GrpcTensor[]).length > 0 ? (r.outputs as GrpcTensor[]).map((o) => ({ name: o.name, parameters: { binary_data: true } })) : undefined;
    const header = { id: r.id || undefined, inputs, outputs, parameters: { ...paramsOf(r.parameters), binary_data_output: true } };
    const body = raw.length > 0 ? new BinaryBody(header, Buffer.concat(raw)) : header;
    const call = parseInferRequest(body, info);
    const gone = new AbortController();
    c.on('cancelled', () => gone.abort());
    const deadline = c.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() - Date.now() : Number.isFinite(deadline) ? Number(deadline) - Date.now() : undefined;
    const result = await service.infer(info.name, call, { client: `grpc:${c.getPeer().replace(/:\d+$/, '')}`, deadlineMs, signal: gone.signal });
    const res = encodeInferResponse(info, call, result);
    const json = JSON.parse(res.json) as { model_name: string; model_version: string; id?: string; outputs: { name: string; datatype: string; shape: number[] }[] };
    return {
      model_name: json.model_name, model_version: json.model_version, id: json.id ?? '',
      outputs: json.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
      raw_output_contents: res.binary.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    };
  };

  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, h] of Object.entries(handlers))
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, done: grpc.sendUnaryData<unknown>) => {
      h(call).then((v) => done(null, v), (e: Error) => done({ code: grpcCode(statusOf(e)), details: e.message }));
    };
  const server = new grpc.Server({ 'grpc.max_receive_message_length': service.limits.maxResponseBytes, 'grpc.max_send_message_length': service.limits.maxResponseBytes + (1 << 20) });
  server.addService(loadInferenceService(), impl);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port: bound, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** InferTensorContents as the JSON "data" array of the tensor's datatype. */
function contentsOf(t: GrpcTensor): unknown[] {
  const c = t.contents ?? {};
  const pick: Record<string, string> = { FP32: 'fp32_contents', INT32: 'int_contents', UINT32: 'uint_contents', INT64: 'int64_contents', BOOL: 'bool_contents' };
  const field = pick[t.datatype];
  if (t.datatype === 'FP16') throw new BadRequestError('FP16 has no InferTensorContents field: send it in raw_input_contents (2 bytes an element)', t.name);
  if (!field) return []; // the shared checks name the datatype as not served
  const v = c[field] ?? [];
  if (field !== 'int64_contents') return v;
  return v.map((x) => {
    const n = Number(x);
    if (!Number.isSafeInteger(n)) throw new BadRequestError(`int64 value ${String(x)} is beyond +-(2^53 - 1); send it in raw_input_contents`, t.name);
    return n;
  });
}

/** Request parameters as plain values (only "timeout" is read). */
function paramsOf(p: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((p ?? {}) as Record<string, Record<string, unknown>>)) {
    const which = v.parameter_choice as string | undefined;
    if (which) out[k] = which === 'int64_param' || which === 'uint64_param' ? Number(v[which]) : v[which];
  }
  return out;
}
