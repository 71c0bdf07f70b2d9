import { z } from 'zod';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import { ClientId } from '../protocol/index.js';
import { BadRequestError, requireValid } from './errors.js';
import type { Route } from './http.js';
import type { ClusterSource } from './cluster.js';
import type { QueueSampler } from './queues.js';
import type { DeadLetterQueue, Selection } from './dead-letters.js';
import type { LiveFeed } from './live-feed.js';
import type { TopologyView } from './topology-view.js';
import { readClient } from './client-view.js';
import { listExams, readExam } from './exam-view.js';
import { traceRequest } from './trace.js';

export interface ApiSources {
  redis: Redis;
  keys: RedisKeys;
  cluster: ClusterSource;
  queues: QueueSampler;
  deadLetters: DeadLetterQueue;
  feed: LiveFeed;
  topology(): Promise<TopologyView>;
  /** Connection states and sync_state age, as `health`. */
  health(): unknown;
  namespace: string;
}

/** `{"ids": ["…"]}` or `{"all": true}`. */
const SelectionBody = z.union([
  z.strictObject({
    ids: z
      .array(z.string().regex(/^[0-9a-f]{24}$/))
      .min(1)
      .max(1000),
  }),
  z.strictObject({ all: z.literal(true) }),
]);

const DeadLetterId = z.string().regex(/^[0-9a-f]{24}$/, 'a dead letter id is 24 hex digits');

/** The JSON API the page uses (documented in the README, "Admin API"). */
export function apiRoutes(s: ApiSources): Route[] {
  const act = async (action: 'replay' | 'discard', selection: Selection) => {
    const result =
      action === 'replay'
        ? await s.deadLetters.replay(selection)
        : await s.deadLetters.discard(selection);
    // Fresh depths for every page now, rather than at the next sample.
    void s.queues.sample().catch(() => undefined);
    return result;
  };
  const selectionOf = async (body: () => Promise<unknown>): Promise<Selection> => {
    const parsed = SelectionBody.safeParse(await body());
    if (!parsed.success) {
      throw new BadRequestError('body must be {"ids": ["<24 hex digits>", …]} or {"all": true}');
    }
    return parsed.data;
  };
  const idOf = (value: string | undefined): string => {
    const parsed = DeadLetterId.safeParse(value);
    if (!parsed.success) throw new BadRequestError('a dead letter id is 24 hex digits');
    return parsed.data;
  };

  return [
    {
      method: 'GET',
      path: '/api/overview',
      handler: async () => {
        const [cluster, queues] = await Promise.all([
          s.cluster.snapshot(),
          s.queues.latest() ?? s.queues.sample(),
        ]);
        const dlq = queues.queues.find((q) => q.kind === 'dead-letter');
        return {
          namespace: s.namespace,
          health: s.health(),
          cluster,
          queues,
          deadLetters: { depth: dlq?.messages ?? null },
        };
      },
    },
    { method: 'GET', path: '/api/cluster', handler: () => s.cluster.snapshot() },
    { method: 'GET', path: '/api/queues', handler: () => s.queues.latest() ?? s.queues.sample() },
    { method: 'GET', path: '/api/exams', handler: () => listExams(s) },
    {
      method: 'GET',
      path: '/api/exams/:examId',
      handler: ({ params }) => readExam(s, params.examId ?? ''),
    },
    {
      method: 'GET',
      path: '/api/clients/:clientId',
      handler: ({ params }) => readClient(s, params.clientId ?? ''),
    },
    {
      method: 'GET',
      path: '/api/requests/:requestId',
      handler: async ({ params, query }) => ({
        traces: await traceRequest(
          s,
          params.requestId ?? '',
          query.get('supervisorId') || undefined,
        ),
      }),
    },
    {
      method: 'GET',
      path: '/api/dead-letters',
      handler: ({ query }) => {
        const limit = Number(query.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new BadRequestError('limit must be an integer 1-1000');
        }
        return s.deadLetters.list(limit);
      },
    },
    {
      method: 'POST',
      path: '/api/dead-letters/replay',
      handler: async ({ body }) => act('replay', await selectionOf(body)),
    },
    {
      method: 'POST',
      path: '/api/dead-letters/discard',
      handler: async ({ body }) => act('discard', await selectionOf(body)),
    },
    {
      method: 'POST',
      path: '/api/dead-letters/:id/replay',
      handler: ({ params }) => act('replay', { ids: [idOf(params.id)] }),
    },
    {
      method: 'POST',
      path: '/api/dead-letters/:id/discard',
      handler: ({ params }) => act('discard', { ids: [idOf(params.id)] }),
    },
    { method: 'GET', path: '/api/topology', handler: () => s.topology() },
    {
      method: 'GET',
      path: '/api/events',
      stream: true,
      handler: ({ req, res, query }) => {
        const watch: { exam?: string; client?: string } = {};
        for (const name of ['exam', 'client'] as const) {
          const value = query.get(name);
          if (!value) continue;
          watch[name] = requireValid(ClientId, value, `${name} must be 1-64 of A-Z a-z 0-9 _ . -`);
        }
        const queues = s.queues.latest();
        s.feed.attach(req, res, watch, queues ? [['queues', queues]] : []);
      },
    },
  ];
}
