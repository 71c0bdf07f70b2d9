// Plain browser JavaScript, linted with browser globals. Small live charts (uPlot, loaded by the
// page as the global `uPlot` from /assets/uplot.js) of what the admin already samples: the
// `queues` and `cluster` events of /api/events. The page keeps the last 15 minutes it has seen.

const WINDOW_S = 15 * 60;
const charts = new Map();

function chart(id, title, seriesNames) {
  const key = id + '|' + seriesNames.join(',');
  const existing = charts.get(id);
  if (existing && existing.key === key) return existing;
  const host = document.getElementById(id);
  if (existing) existing.plot.destroy();
  const colors = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];
  const opts = {
    title,
    width: Math.max(240, host.clientWidth || 300),
    height: 150,
    scales: { x: { time: true } },
    series: [
      {},
      ...seriesNames.map((name, i) => ({
        label: name,
        stroke: colors[i % colors.length],
        width: 2,
      })),
    ],
    axes: [{}, { size: 44 }],
  };
  const data = [[], ...seriesNames.map(() => [])];
  // Keep what was already recorded for the series that stay.
  if (existing) {
    data[0] = existing.data[0].slice();
    seriesNames.forEach((name, i) => {
      const old = existing.names.indexOf(name);
      data[i + 1] = old >= 0 ? existing.data[old + 1].slice() : existing.data[0].map(() => null);
    });
  }
  host.replaceChildren();
  const entry = { key, names: seriesNames, data, plot: new window.uPlot(opts, data, host) };
  charts.set(id, entry);
  return entry;
}

function push(entry, at, values) {
  const { data } = entry;
  data[0].push(at);
  values.forEach((v, i) => data[i + 1].push(v));
  while (data[0].length > 0 && data[0][0] < at - WINDOW_S) for (const s of data) s.shift();
  entry.plot.setData(data);
  entry.plot.root.setAttribute('data-points', String(data[0].length));
}

/** Status changes per second (status_queue publish rate), queue depths and dead letters. */
export function recordQueues(sample) {
  if (!window.uPlot) return;
  const at = Date.parse(sample.at) / 1000;
  const status = sample.queues.filter((q) => q.kind === 'status');
  const dlq = sample.queues.filter((q) => q.kind === 'dead-letter');
  const total = (list, field) => list.reduce((sum, q) => sum + (q[field] ?? 0), 0);
  const rates = status.map((q) => q.publishRate).filter((r) => r !== null && r !== undefined);
  push(chart('chart-rate', 'Status changes /s', ['into status_queue']), at, [
    rates.length ? rates.reduce((a, b) => a + b, 0) : null,
  ]);
  const servers = sample.queues.filter((q) => q.kind === 'server' && q.state !== 'missing');
  push(chart('chart-depth', 'Queue depth', ['status_queue', 'server queues']), at, [
    total(status, 'messages'),
    total(servers, 'messages'),
  ]);
  push(chart('chart-dlq', 'Dead letters', ['in the DLQ']), at, [total(dlq, 'messages')]);
}

/** Connections per socket server. */
export function recordCluster(view) {
  if (!window.uPlot) return;
  const servers = view.servers.map((s) => s.id).sort();
  if (servers.length === 0) return;
  const entry = chart('chart-connections', 'Connections per server', servers);
  const byId = new Map(view.servers.map((s) => [s.id, s.connections]));
  push(
    entry,
    Date.now() / 1000,
    servers.map((id) => byId.get(id) ?? 0),
  );
}
