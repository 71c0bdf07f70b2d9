import { readFileSync } from 'node:fs';
import { ConfigError } from '../../shared/errors.js';
import { signToken } from '../../protocol/index.js';
import type { Asset, Route } from '../http.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { TRY_SESSION_PATH, type TrySession } from './session.js';
import { examineeHtml, indexHtml, supervisorHtml, type TryIdentity } from './html.js';

export type { TryIdentity } from './html.js';
import { TRY_CSS } from './styles.js';

/** One demo identity of the try-it pages. */
export interface TryItOptions {
  /** AUTH_SECRET: the try-it pages get their tokens from the dev process. */
  authSecret: string;
  /** Default `EXAM1`. */
  examId?: string;
  /** The socket servers, in failover order, with the URL a browser reaches each at. */
  servers: { id: string; url: string }[];
  /** Default: S001 on serverB; E001 and E003 on serverA, E002 on serverB (the seed's places). */
  identities?: TryIdentity[];
  /** Lifetime of a handed-out token, in seconds. Default 8 h. */
  tokenTtlSeconds?: number;
}

const DEFAULT_IDENTITIES: TryIdentity[] = [
  { clientId: 'S001', role: 'supervisor', serverId: 'serverB' },
  { clientId: 'E001', role: 'examinee', serverId: 'serverA' },
  { clientId: 'E002', role: 'examinee', serverId: 'serverB' },
  { clientId: 'E003', role: 'examinee', serverId: 'serverA' },
];

/**
 * The try-it pages, which only `exam-relay dev` mounts on its admin (they hand out tokens):
 * `/try/` links one page per demo identity; `/try/supervisor?as=S001` and
 * `/try/examinee?as=E001` are the pages, built from src/admin/ui/try/ by `npm run build`.
 */
export function tryItPages(options: TryItOptions): {
  routes: Route[];
  assets: Record<string, Asset>;
} {
  const examId = options.examId ?? 'EXAM1';
  const identities = options.identities ?? DEFAULT_IDENTITIES;
  const ttl = options.tokenTtlSeconds ?? 8 * 3600;
  const roster = identities.filter((i) => i.role === 'examinee').map((i) => i.clientId);
  // The pages talk to the socket servers directly: the CSP names each of them.
  const csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    `connect-src 'self' ${options.servers.map((s) => s.url).join(' ')}; ` +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  const html = (body: string): Asset => ({
    contentType: 'text/html; charset=utf-8',
    body,
    headers: { 'content-security-policy': csp },
  });
  const js = (file: string): Asset => ({
    contentType: 'text/javascript; charset=utf-8',
    body: bundle(file),
  });

  const session: Route = {
    method: 'GET',
    path: TRY_SESSION_PATH,
    async handler({ query }): Promise<TrySession> {
      const as = query.get('as') ?? '';
      const identity = identities.find((i) => i.clientId === as);
      if (!identity) {
        throw new NotFoundError(
          `no demo identity "${as}"; try ${identities.map((i) => i.clientId).join(', ')}`,
        );
      }
      const first = query.get('server') ?? identity.serverId;
      const home = options.servers.find((s) => s.id === first);
      if (!home) throw new BadRequestError(`no socket server "${first}"`);
      return {
        clientId: identity.clientId,
        role: identity.role,
        examId,
        token: await signToken(
          options.authSecret,
          { clientId: identity.clientId, role: identity.role, examId },
          ttl,
        ),
        urls: [home.url, ...options.servers.filter((s) => s !== home).map((s) => s.url)],
        roster,
      };
    },
  };

  /** `/try` as typed leads to the index. */
  const slash: Route = {
    method: 'GET',
    path: '/try',
    stream: true,
    handler({ res }) {
      res.writeHead(308, { location: '/try/' }).end();
    },
  };

  return {
    routes: [session, slash],
    assets: {
      '/try/': html(indexHtml(examId, identities)),
      '/try/supervisor': html(supervisorHtml()),
      '/try/examinee': html(examineeHtml()),
      '/try/assets/try.css': { contentType: 'text/css; charset=utf-8', body: TRY_CSS },
      '/try/assets/supervisor.js': js('supervisor-page.js'),
      '/try/assets/examinee.js': js('examinee-page.js'),
    },
  };
}

/** A page's bundle, which `npm run build` writes to dist/admin/ui/try/ (esbuild). */
function bundle(file: string): string {
  const url = new URL(`../ui/try/${file}`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (cause) {
    throw new ConfigError(`the try-it page bundle ${url.pathname} is missing: run npm run build`, {
      cause,
    });
  }
}
