import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Metric constructors bound to one role's registry (each role serves its own at GET /metrics),
 * with Node's default metrics collected on it under `defaultsPrefix`. Label names given
 * `as const` type the labels of `inc`, `set` and `observe`.
 */
export function metricsOn(registry: Registry, defaultsPrefix: string) {
  collectDefaultMetrics({ register: registry, prefix: defaultsPrefix });
  const registers = [registry];
  return {
    counter: <L extends string = string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
    ) => new Counter<L>({ name, help, labelNames, registers }),
    gauge: <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers }),
    histogram: <L extends string = string>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: readonly L[] = [],
    ) => new Histogram<L>({ name, help, buckets, labelNames, registers }),
  };
}
