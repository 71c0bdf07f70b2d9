// @ts-check
// Small live charts (uPlot, loaded by the page as the global `uPlot` from /assets/uplot.js) of
// what the admin already samples: the `queues` and `cluster` events of /api/events. The page
// keeps the last 15 minutes it has seen.

/** @typedef {import('../cluster.js').ClusterView} ClusterView */
/** @typedef {import('../queues.js').QueueSample} QueueSample */
/** @typedef {import('../queues.js').QueueStat} QueueStat */
/** @typedef {import('uplot')} UPlot */
/**
 * One chart: the x values (seconds) and one array of y values per series, by name.
 * @typedef {{ key: string, names: string[], xs: number[], ys: (number | null)[][], plot: UPlot }} Chart
 */

const WINDOW_S = 15 * 60;
/** @type {Map<string, Chart>} */
const charts = new Map();

/**
 * The chart in the element `id`, made (again) when its series change.
 * @param {NonNullable<Window['uPlot']>} UPlot the constructor
 * @param {string} id
 * @param {string} title
 * @param {string[]} seriesNames
 * @returns {Chart}
 */
function chart(UPlot, id, title, seriesNames) {
  const key = id + '|' + seriesNames.join(',');
  const existing = charts.get(id);
  if (existing && existing.key === key) return existing;
  const host = document.getElementById(id);
  if (!host) throw new Error('the page has no #' + id);
  if (existing) existing.plot.destroy();
  const colors = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];
  /** @type {import('uplot').Options} */
  const opts = {
    title,
    width: Math.max(240, host.clientWidth || 300),
    height: 150,
    scales: { x: { time: true } },
    series: [
      {},
      ...seriesNames.map((name, i) => ({
        label: name,
        stroke: colors[i % colors.length] ?? '#2563eb',
        width: 2,
      })),
    ],
    axes: [{}, { size: 44 }],
  };
  // Keep what was already recorded for the series that stay.
  const xs = existing ? existing.xs.slice() : [];
  const ys = seriesNames.map((name) => {
    const kept = existing?.ys[existing.names.indexOf(name)];
    return kept ? kept.slice() : xs.map(() => null);
  });
  host.replaceChildren();
  const entry = { key, names: seriesNames, xs, ys, plot: new UPlot(opts, [xs, ...ys], host) };
  charts.set(id, entry);
  return entry;
}

/**
 * @param {Chart} entry
 * @param {number} at seconds
 * @param {(number | null)[]} values one per series
 */
function push(entry, at, values) {
  const { xs, ys } = entry;
  xs.push(at);
  ys.forEach((y, i) => y.push(values[i] ?? null));
  while ((xs[0] ?? at) < at - WINDOW_S) {
    xs.shift();
    for (const y of ys) y.shift();
  }
  entry.plot.setData([xs, ...ys]);
  entry.plot.root.setAttribute('data-points', String(xs.length));
}

/**
 * Status changes per second (status_queue publish rate), queue depths and dead letters.
 * @param {QueueSample} sample
 */
export function recordQueues(sample) {
  const UPlot = window.uPlot;
  if (!UPlot) return;
  const at = Date.parse(sample.at) / 1000;
  const status = sample.queues.filter((q) => q.kind === 'status');
  const dlq = sample.queues.filter((q) => q.kind === 'dead-letter');
  /** @param {QueueStat[]} list */
  const total = (list) => list.reduce((sum, q) => sum + (q.messages ?? 0), 0);
  const rates = status.flatMap((q) => (q.publishRate === null ? [] : [q.publishRate]));
  push(chart(UPlot, 'chart-rate', 'Status changes /s', ['into status_queue']), at, [
    rates.length ? rates.reduce((a, b) => a + b, 0) : null,
  ]);
  const servers = sample.queues.filter((q) => q.kind === 'server' && q.state !== 'missing');
  push(chart(UPlot, 'chart-depth', 'Queue depth', ['status_queue', 'server queues']), at, [
    total(status),
    total(servers),
  ]);
  push(chart(UPlot, 'chart-dlq', 'Dead letters', ['in the DLQ']), at, [total(dlq)]);
}

/**
 * Connections per socket server.
 * @param {ClusterView} view
 */
export function recordCluster(view) {
  const UPlot = window.uPlot;
  if (!UPlot) return;
  const servers = view.servers.map((s) => s.id).sort();
  if (servers.length === 0) return;
  const entry = chart(UPlot, 'chart-connections', 'Connections per server', servers);
  const byId = new Map(view.servers.map((s) => [s.id, s.connections]));
  push(
    entry,
    Date.now() / 1000,
    servers.map((id) => byId.get(id) ?? 0),
  );
}
