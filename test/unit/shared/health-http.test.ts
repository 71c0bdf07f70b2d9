import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { healthHandler } from '../../../src/shared/health-http.js';

const handlers = {
  ready: healthHandler({ ready: () => true, registry: new Registry() }),
  down: healthHandler({ ready: () => false, registry: new Registry() }),
};

/** Calls the handler with a minimal request and resolves with the status and body sent. */
function call(
  ready: boolean,
  method: string,
  url: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let status = 0;
    const res = {
      writeHead(code: number) {
        status = code;
        return res;
      },
      end(body?: string) {
        resolve({ status, body: body ?? '' });
        return res;
      },
    };
    (ready ? handlers.ready : handlers.down)(
      { method, url } as IncomingMessage,
      res as unknown as ServerResponse,
    );
  });
}

describe('shared/health-http', () => {
  describe('#healthHandler', () => {
    it('answers /healthz, /readyz and /metrics to GET and HEAD', async () => {
      expect(await call(true, 'GET', '/healthz')).to.deep.equal({ status: 200, body: 'ok\n' });
      expect((await call(true, 'HEAD', '/readyz')).status).to.equal(200);
      expect((await call(false, 'GET', '/readyz')).status).to.equal(503);
      expect((await call(true, 'GET', '/metrics?x=1')).status).to.equal(200);
    });

    it('answers any method and path with 200, 404, 405 or 503 and never throws', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE', 'TRACE'), fc.string()),
          fc.oneof(
            fc.constantFrom('/healthz', '/readyz', '/metrics', '/ws', '/', '', '*'),
            fc.webUrl({ withQueryParameters: true, withFragments: true }),
            fc.string({ unit: 'binary' }),
          ),
          fc.boolean(),
          async (method, url, ready) => {
            const { status, body } = await call(ready, method, url);
            expect([200, 404, 405, 503]).to.include(status);
            const known = ['/healthz', '/readyz', '/metrics'].includes(url.split('?')[0] ?? '');
            if (status === 200 || status === 503) expect(known).to.equal(true);
            expect(body).to.not.match(/Error|at .+:\d+/);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
