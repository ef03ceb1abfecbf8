// The server's guard: what a request must be before any route reads it, and
// how connections are bounded and drained.
// - bodies: application/json (depth-checked before it is parsed) and
//   application/octet-stream only; anything else is 415;
// - Host: an IP literal, localhost, the bind name or --allowed-hosts (a DNS
//   rebinding page names its own domain and gets 403);
// - --api-key: a bearer token on every request (required when the bind
//   address is not loopback);
// - CORS: no Access-Control headers unless origins are given;
// - connections: request, header and keep-alive timeouts, a connection cap,
//   requests per socket; drain() finishes in-flight work within a deadline
//   and then closes what is left.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { UsageError } from '../core/errors.js';
import { quote } from '../onnx/limits.js';
import { HEADER_LENGTH, splitBinaryBody } from './binary.js';
import { RequestError } from './errors.js';

export interface GuardOptions {
  /** The address the server binds (loopback unless given). */
  host?: string;
  /** Host names (no port) accepted besides IP literals, localhost and the bind name; '*' accepts any. */
  allowedHosts?: string[];
  /** Bearer token every request must carry. */
  apiKey?: string;
  /** Origins answered with CORS headers (none: CORS off). */
  corsOrigins?: string[];
  /** Deepest JSON nesting accepted (default 32). */
  maxJsonDepth?: number;
  /** Time to receive a whole request, headers and body, in ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Time to receive the headers in ms (default 10 s). */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this many ms (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** Requests one connection may carry (default 1000). */
  /** Connections open at once; more are refused (default 512). */
  maxConnections?: number;
}

export const GUARD_DEFAULTS = {
  maxJsonDepth: 32,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
} as const;

/** Longest error message sent back: a message quotes at most a prefix of what the client sent. */
export const MAX_ERROR_CHARS = 400;

/** A body of a media type this server does not read (415). */
export class UnsupportedMediaTypeError extends RequestError {
  override name = 'UnsupportedMediaTypeError';
  constructor(readonly contentType: string) {
    super(415, `Content-Type '${quote(contentType, 60)}' is not accepted; send application/json (or application/octet-stream where binary tensors are read)`);
  }
}

/** A JSON body nested deeper than the guard allows (400, before it is parsed). */
export class JsonTooDeepError extends RequestError {
  override name = 'JsonTooDeepError';
  constructor(readonly limit: number) {
    super(400, `JSON body is nested deeper than ${limit} levels`);
  }
}

/** A Host header that names neither this server nor an allowed host (403: DNS rebinding). */
export class HostNotAllowedError extends RequestError {
  override name = 'HostNotAllowedError';
  constructor(readonly host: string) {
    super(403, `Host '${quote(host, 60)}' is not allowed; start the server with --allowed-hosts ${quote(hostName(host), 60) || 'NAME'} to accept it`);
  }
}

/** No or a wrong bearer token (401). */
export class UnauthorizedError extends RequestError {
  override name = 'UnauthorizedError';
  constructor() {
    super(401, 'this server needs an API key: send Authorization: Bearer <key>');
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A server reachable from other machines must have an API key (a one-line UsageError otherwise). */
export function checkExposure(opts: GuardOptions): void {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.apiKey)
    throw new UsageError(`binding ${host} exposes the server beyond this machine: give --api-key KEY or set HANDOVER_API_KEY (clients send Authorization: Bearer KEY), or bind 127.0.0.1`);
  if (opts.apiKey !== undefined && opts.apiKey.length < 8) throw new UsageError('--api-key must be at least 8 characters');
}

/** The fastify (node http) options that bound connections and request receipt. */
export function guardServerOptions(opts: GuardOptions): FastifyServerOptions {
  const o = { ...GUARD_DEFAULTS, ...definedOnly(opts) };
  return {
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // No maxRequestsPerSocket: with it set, Node's server left a client's abort of a queued request
    // unanswered (test/serve-batching.test.ts hung); the idle keep-alive timeout bounds connections instead.
    forceCloseConnections: 'idle',
    // The router's own refusals (a bad or over-long URL) would quote the whole path back.
    frameworkErrors: (err: Error, _req: FastifyRequest, reply: FastifyReply) => {
      const code = (err as { statusCode?: number }).statusCode ?? 400;
      const text = code === 414 ? 'a path segment is longer than 100 characters' : 'the URL is not valid';
      void reply.code(code).type('application/json; charset=utf-8').send({ error: text });
    },
    return503OnClosing: true,
    // Node checks request and header deadlines every connectionsCheckingInterval (default 30 s).
    http: {
      requestTimeout: o.requestTimeoutMs,
      headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, o.requestTimeoutMs / 4)),
    },
  } as FastifyServerOptions;
}

/** Installs the body parsers and the onRequest checks; call before routes are added. */
export function installGuard(app: FastifyInstance, opts: GuardOptions): void {
  const o = { ...GUARD_DEFAULTS, ...definedOnly(opts) };
  app.server.maxConnections = o.maxConnections;

  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  // A JSON header followed by raw tensor bytes when the request says Inference-Header-Content-Length
  // (the binary tensor extension), under either content type; otherwise JSON, depth-checked before parsing.
  const parse = (asJson: boolean) => (req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const length = req.headers[HEADER_LENGTH];
    if (length !== undefined) {
      try {
        const n = typeof length === 'string' ? Number(length) : NaN;
        const head = Number.isInteger(n) && n >= 0 && n <= body.length ? body.subarray(0, n).toString('utf8') : '';
        if (jsonDepth(head, o.maxJsonDepth) > o.maxJsonDepth) return done(new JsonTooDeepError(o.maxJsonDepth));
        return done(null, splitBinaryBody(body, length));
      } catch (e) {
        return done(e as Error);
      }
    }
    if (!asJson) return done(null, body);
    const text = body.toString('utf8');
    if (jsonDepth(text, o.maxJsonDepth) > o.maxJsonDepth) return done(new JsonTooDeepError(o.maxJsonDepth), undefined);
    json(req, text, done);
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse(true));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, parse(false));
  app.addContentTypeParser('*', (req, _payload, done) => done(new UnsupportedMediaTypeError(String(req.headers['content-type'] ?? '(none)')), undefined));

  const allowed = new Set((opts.allowedHosts ?? []).map((h) => h.toLowerCase()));
  if (opts.host && isIP(opts.host) === 0) allowed.add(opts.host.toLowerCase());
  const key = opts.apiKey === undefined ? null : digest(opts.apiKey);
  const origins = new Set(opts.corsOrigins ?? []);

  app.addHook('onRequest', async (req, reply) => {
    checkHost(req, allowed);
    const preflight = cors(req, reply, origins);
    if (preflight) return reply.code(204).send();
    if (key && !bearerMatches(req, key)) {
      void reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedError();
    }
    return undefined;
  });
}

/** A message for a client: at most MAX_ERROR_CHARS characters. */
export function boundMessage(message: string): string {
  return quote(message, MAX_ERROR_CHARS);
}

/**
 * Stops accepting, lets in-flight requests finish for up to `deadlineMs`,
 * then closes every connection that is left. Resolves with how many were cut.
 */
export async function drain(app: FastifyInstance, deadlineMs: number): Promise<{ cut: number }> {
  const closing = app.close();
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    closing.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), deadlineMs))),
  ]);
  clearTimeout(timer);
  if (!late) return { cut: 0 };
  const cut = await new Promise<number>((r) => app.server.getConnections((_e, n) => r(n ?? 0)));
  app.server.closeAllConnections();
  await closing;
  return { cut };
}

/** Nesting depth of a JSON text (brackets outside strings); stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

function checkHost(req: FastifyRequest, allowed: Set<string>): void {
  const raw = req.headers.host;
  if (!raw) throw new RequestError(400, 'a Host header is required');
  const name = hostName(raw);
  if (isIP(name) !== 0 || name === 'localhost' || allowed.has('*') || allowed.has(name)) return;
  throw new HostNotAllowedError(raw);
}

/** The host part of a Host header: lower case, without port or IPv6 brackets. */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** Sets CORS headers for an allowed origin; true when the request is a preflight to answer now. */
function cors(req: FastifyRequest, reply: FastifyReply, origins: Set<string>): boolean {
  const origin = req.headers.origin;
  if (origins.size === 0 || !origin || !(origins.has('*') || origins.has(origin))) return false;
  void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  void reply
    .header('access-control-allow-methods', 'GET, POST')
    .header('access-control-allow-headers', 'content-type, authorization')
    .header('access-control-max-age', '600');
  return true;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function bearerMatches(req: FastifyRequest, key: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), key);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
