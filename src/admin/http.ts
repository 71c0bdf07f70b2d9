import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import { RelayError, UnavailableError } from '../shared/errors.js';
import { healthHandler } from '../shared/health-http.js';
import { AUTH_CHALLENGE } from './auth.js';
import { BadRequestError, ForbiddenError, NotFoundError } from './errors.js';
import type { AdminMetrics } from './metrics.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, URL-decoded: `/api/clients/:clientId` gives `clientId`. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (at most 64 KiB); `{}` when there is none. */
  body(): Promise<unknown>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** A path with `:name` parameters, e.g. `/api/clients/:clientId`. */
  path: string;
  /** The handler writes the response itself (server-sent events). */
  stream?: boolean;
  /** Resolves with the JSON response body. */
  handler(ctx: RouteContext): unknown;
}

/** A page asset served from memory. */
export interface Asset {
  contentType: string;
  body: string;
  /** Headers that replace the defaults for this asset, e.g. a page's own CSP. */
  headers?: Record<string, string>;
}

export interface AdminHttpDeps {
  authenticate: (header: string | undefined) => boolean;
  routes: Route[];
  /** By path, e.g. `/` and `/assets/admin.js`. */
  assets: Record<string, Asset>;
  ready: () => boolean;
  metrics: AdminMetrics;
  logger: Logger;
}

const MAX_BODY_BYTES = 64 * 1024;

/** Every response: no sniffing, no framing, no referrer, scripts and styles from here only. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/**
 * The admin's HTTP server. `/healthz`, `/readyz` and `/metrics` are open (probes and
 * Prometheus); everything else needs ADMIN_TOKEN (see auth.ts). POSTs from another origin
 * are refused, since a browser would attach the cached basic credentials to them (CSRF).
 */
export function createAdminHttp(deps: AdminHttpDeps): Server {
  const log = deps.logger;
  const routes = deps.routes.map((route) => ({ route, ...compile(route.path) }));
  const health = healthHandler({ ready: deps.ready, registry: deps.metrics.registry });

  return createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    let label = 'unmatched';
    res.once('finish', () => {
      deps.metrics.requests.inc({ route: label, status: String(res.statusCode) });
      log.debug(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'http request',
      );
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);

    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      label = path;
      return health(req, res);
    }
    if (!deps.authenticate(req.headers.authorization)) {
      label = 'unauthorized';
      deps.metrics.authFailures.inc();
      res.setHeader('www-authenticate', AUTH_CHALLENGE);
      return sendError(
        res,
        401,
        'UNAUTHORIZED',
        'user admin with password ADMIN_TOKEN, or Authorization: Bearer <ADMIN_TOKEN>',
      );
    }

    const asset = deps.assets[path];
    if (asset) {
      label = 'asset';
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      res.writeHead(200, {
        'content-type': asset.contentType,
        'cache-control': 'no-cache',
        ...asset.headers,
      });
      return void res.end(req.method === 'HEAD' ? undefined : asset.body);
    }

    const matches = routes.filter((r) => r.pattern.test(path));
    const found = matches.find((r) => r.route.method === req.method);
    if (!found) {
      if (matches.length > 0) {
        return methodNotAllowed(res, [...new Set(matches.map((m) => m.route.method))].join(', '));
      }
      return sendError(res, 404, 'NOT_FOUND', `no such path: ${path}`);
    }
    label = found.route.path;
    void handle(found, path, url, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const [status, code, message] = describe(err);
      if (status >= 500) log.error({ err, path }, 'admin request failed');
      sendError(res, status, code, message);
    });
  });

  async function handle(
    found: (typeof routes)[number],
    path: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (req.method === 'POST') refuseCrossSite(req);
    const values = found.pattern.exec(path)?.slice(1) ?? [];
    const params: Record<string, string> = {};
    found.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(values[i] ?? '');
      } catch {
        throw new BadRequestError(`path parameter ${name} is not valid URL encoding`);
      }
    });
    const ctx: RouteContext = {
      req,
      res,
      params,
      query: url.searchParams,
      body: () => readJson(req),
    };
    const result: unknown = await found.route.handler(ctx);
    if (found.route.stream) return;
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(JSON.stringify(result));
  }
}

/** A browser sends Origin (and Sec-Fetch-Site) with a cross-site POST; scripts send neither. */
function refuseCrossSite(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new ForbiddenError(`cross-site request refused (Sec-Fetch-Site: ${site})`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== req.headers.host) throw new ForbiddenError('cross-origin request refused');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new BadRequestError(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('body is not JSON');
  }
}

function describe(err: unknown): [number, string, string] {
  if (err instanceof BadRequestError) return [400, err.code, err.message];
  if (err instanceof ForbiddenError) return [403, err.code, err.message];
  if (err instanceof NotFoundError) return [404, err.code, err.message];
  if (err instanceof UnavailableError) return [503, err.code, err.message];
  // Our own errors name what failed and carry no secrets; anything else stays in the log.
  if (err instanceof RelayError) return [500, err.code, err.message];
  return [500, 'INTERNAL', 'internal error; see the admin log'];
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ error: { code, message } }));
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendError(res, 405, 'METHOD_NOT_ALLOWED', `use ${allow}`);
}

/** `/api/clients/:clientId` -> a RegExp matching one path segment per parameter. */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}
