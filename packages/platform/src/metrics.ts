import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Creates the Prometheus registry of one service, with Node's default
 * process metrics and a `service` label on every series.
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

type CounterConfig<L extends string> = { name: string; help: string; labelNames?: readonly L[] };
type HistogramConfig<L extends string> = CounterConfig<L> & { buckets?: number[] };

/*
 * prom-client rejects a second metric of the same name in one registry. Several
 * components of one process (two subscribers, a producer per test) may ask for
 * the same metric, so these helpers return the one already registered.
 */

export function counter<L extends string>(registry: Registry, config: CounterConfig<L>): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing !== undefined) {
    return existing as Counter<L>;
  }
  return new Counter({ ...config, labelNames: config.labelNames ?? [], registers: [registry] });
}

export function gauge<L extends string>(registry: Registry, config: CounterConfig<L>): Gauge<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing !== undefined) {
    return existing as Gauge<L>;
  }
  return new Gauge({ ...config, labelNames: config.labelNames ?? [], registers: [registry] });
}

export function histogram<L extends string>(registry: Registry, config: HistogramConfig<L>): Histogram<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing !== undefined) {
    return existing as Histogram<L>;
  }
  return new Histogram({ ...config, labelNames: config.labelNames ?? [], registers: [registry] });
}

/** Buckets in seconds for latencies from a tenth of a millisecond to ten seconds. */
export const latencyBucketsSeconds = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export type { Registry };
