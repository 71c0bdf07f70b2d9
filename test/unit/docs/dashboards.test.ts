import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { parse } from 'yaml';
import { z } from 'zod';
import { createServerMetrics } from '../../../src/server/metrics.js';
import { createStateManagerMetrics } from '../../../src/state-manager/metrics.js';
import { createAdminMetrics } from '../../../src/admin/metrics.js';
import { countReconnects } from '../../../src/shared/reconnect-metrics.js';
import type { AmqpConnection } from '../../../src/shared/amqp/connection.js';

const DOCS = new URL('../../../docs/grafana/', import.meta.url);

/** Every metric name that some role's GET /metrics exposes. */
async function exposedNames(): Promise<Set<string>> {
  const reconnects = new Registry();
  const emitter = Object.assign(new EventEmitter(), { status: 'ready' });
  countReconnects(reconnects, emitter as unknown as AmqpConnection, emitter as unknown as Redis);
  const registries = [
    createServerMetrics().registry,
    createStateManagerMetrics().registry,
    createAdminMetrics().registry,
    reconnects,
  ];
  const names = new Set<string>();
  for (const registry of registries) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') {
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
      }
    }
  }
  return names;
}

/** The exam_relay_* names a PromQL expression reads. */
const metricsIn = (expr: string) => [...expr.matchAll(/\bexam_relay_[a-z_]+/g)].map((m) => m[0]);

const Dashboard = z.object({
  title: z.string(),
  panels: z
    .array(
      z.object({
        title: z.string(),
        type: z.string(),
        targets: z.array(z.object({ expr: z.string().min(1) })).min(1),
      }),
    )
    .min(1),
});

const Rules = z.strictObject({
  groups: z.array(
    z.strictObject({
      name: z.string(),
      rules: z
        .array(
          z.strictObject({
            alert: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
            expr: z.string().min(1),
            for: z.string().regex(/^\d+[smh]$/),
            labels: z.object({ severity: z.enum(['warning', 'critical']) }),
            annotations: z.object({ summary: z.string(), description: z.string() }),
          }),
        )
        .min(1),
    }),
  ),
});

describe('docs/grafana', () => {
  describe('exam-relay-dashboard.json', () => {
    it('queries only metrics that /metrics exposes', async () => {
      const dashboard = Dashboard.parse(
        JSON.parse(readFileSync(new URL('exam-relay-dashboard.json', DOCS), 'utf8')),
      );
      const exposed = await exposedNames();
      const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr)));
      expect(used.length).to.be.above(8);
      expect(used.filter((name) => !exposed.has(name))).to.deep.equal([]);
    });

    it('has throughput, processing, latency, ack time, queue, connection, reconnect and dead-letter panels', () => {
      const dashboard = Dashboard.parse(
        JSON.parse(readFileSync(new URL('exam-relay-dashboard.json', DOCS), 'utf8')),
      );
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
      for (const name of [
        'exam_relay_status_changes_total',
        'exam_relay_state_manager_handle_seconds_bucket',
        'exam_relay_status_change_latency_seconds_bucket',
        'exam_relay_ack_seconds_bucket',
        'exam_relay_admin_queue_messages',
        'exam_relay_connections',
        'exam_relay_reconnects_total',
        'exam_relay_dead_letters_total',
      ]) {
        expect(exprs).to.include(name);
      }
    });
  });

  describe('exam-relay-alerts.yaml', () => {
    it('parses as Prometheus rule groups that read exposed metrics', async () => {
      const rules = Rules.parse(
        parse(readFileSync(new URL('exam-relay-alerts.yaml', DOCS), 'utf8')),
      );
      const exposed = await exposedNames();
      const all = rules.groups.flatMap((g) => g.rules);
      expect(all.map((r) => r.alert)).to.include.members([
        'ExamRelayDeadLetters',
        'ExamRelaySyncStateMissing',
      ]);
      const used = all.flatMap((r) => metricsIn(r.expr));
      expect(used.filter((name) => !exposed.has(name))).to.deep.equal([]);
    });
  });
});
