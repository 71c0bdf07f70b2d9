/**
 * The page's script, first part: helpers, the live event stream, cluster and queues. Plain
 * browser JavaScript kept in a string (tsc does not copy non-TS files to dist/); it avoids
 * backquotes and dollar-brace so String.raw keeps it verbatim. Data reaches the DOM only as
 * text nodes, never as HTML: client ids and dead-letter bodies are untrusted.
 */
export const SCRIPT_CORE = String.raw`
'use strict';
const $ = (id) => document.getElementById(id);
const state = { exam: '', client: '', source: null, dlqDepth: null, retry: null };

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children || []) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : String(child));
  }
  return node;
}

function fill(node, children) {
  node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

function ago(iso) {
  if (!iso) return '\u2014';
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = Math.round(ms / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return new Date(iso).toLocaleString();
}

function timeEl(iso) {
  if (!iso) return el('span', { class: 'muted', text: '\u2014' });
  return el('time', { datetime: iso, title: new Date(iso).toLocaleString(), 'data-ago': iso, text: ago(iso) });
}

setInterval(() => {
  for (const t of document.querySelectorAll('[data-ago]')) t.textContent = ago(t.getAttribute('data-ago'));
}, 1000);

function num(n, digits) {
  if (n === null || n === undefined) return 'n/a';
  return digits ? n.toFixed(digits) : n.toLocaleString();
}

function pill(text, kind, status) {
  return el('span', { class: 'pill' + (kind ? ' ' + kind : ''), 'data-status': status, text: text });
}

async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = new Error(data && data.error ? data.error.message : 'HTTP ' + res.status);
    error.status = res.status;
    throw error;
  }
  return data;
}

function readQuery() {
  const q = new URLSearchParams(location.search);
  state.exam = q.get('exam') || '';
  state.client = q.get('client') || '';
}

function writeQuery() {
  const q = new URLSearchParams();
  if (state.exam) q.set('exam', state.exam);
  if (state.client) q.set('client', state.client);
  const search = q.toString();
  history.replaceState(null, '', location.pathname + (search ? '?' + search : '') + location.hash);
}

function setLive(mode, text) {
  $('live').setAttribute('data-state', mode);
  $('live-text').textContent = text || mode;
}

/** One event stream per page; it is reopened when the watched exam or client changes. */
function connect() {
  clearTimeout(state.retry);
  if (state.source) state.source.close();
  const q = new URLSearchParams();
  if (state.exam) q.set('exam', state.exam);
  if (state.client) q.set('client', state.client);
  const search = q.toString();
  const source = new EventSource('/api/events' + (search ? '?' + search : ''));
  state.source = source;
  setLive('connecting', 'connecting');
  source.onopen = () => setLive('live', 'live');
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      setLive('closed', 'disconnected, retrying');
      state.retry = setTimeout(connect, 3000);
    } else {
      setLive('reconnecting', 'reconnecting');
    }
  };
  const on = (event, render) =>
    source.addEventListener(event, (e) => {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        console.error('cannot render ' + event, err);
      }
    });
  on('hello', (hello) => {
    const badge = $('namespace');
    badge.hidden = !hello.namespace;
    badge.textContent = 'namespace ' + hello.namespace;
  });
  on('cluster', renderCluster);
  on('queues', renderQueues);
  on('health', renderHealth);
  on('exam', renderExam);
  on('client', renderClient);
}

function renderHealth(h) {
  const problems = [];
  if (h.amqp !== 'ready') problems.push('broker connection ' + h.amqp);
  if (h.redis !== 'ready') problems.push('Redis connection ' + h.redis);
  if (h.syncStateListener !== 'ready') problems.push('sync_state listener ' + h.syncStateListener);
  const banner = $('health-warning');
  banner.hidden = problems.length === 0;
  banner.textContent = 'The admin is degraded: ' + problems.join(', ') + '. What it shows may be stale.';
}

function renderCluster(view) {
  const rows = view.servers.map((s) => {
    const shown = s.clients.slice(0, 60);
    const more = s.connections - shown.length;
    return el('tr', { 'data-server': s.id }, [
      el('td', {}, [el('strong', { text: s.id }), el('div', { class: 'muted mono', text: s.queue })]),
      el('td', {}, [pill(s.status, s.status === 'ACTIVE' ? 'ok' : s.status === 'DOWN' ? 'bad' : '')]),
      el('td', { class: 'num connections', text: num(s.connections) }),
      el('td', {}, [timeEl(s.lastHeartbeat)]),
      el('td', {}, [
        el('div', { class: 'chips clients' }, [
          ...shown.map((id) =>
            el('button', { type: 'button', class: 'chip', 'data-client': id, text: id, onclick: () => showClient(id) }),
          ),
          more > 0 ? el('span', { class: 'muted', text: '+' + more + ' more' }) : null,
          s.connections === 0 ? el('span', { class: 'muted', text: 'none' }) : null,
        ]),
      ]),
    ]);
  });
  fill(document.querySelector('#servers tbody'), rows);
  $('servers-empty').hidden = rows.length > 0;

  const managers = view.stateManagers.map((m) =>
    el('tr', { 'data-manager': m.id }, [
      el('td', { class: 'mono', text: m.id }),
      el('td', {}, [m.alive ? pill('consuming', 'ok') : pill('silent', 'bad')]),
      el('td', {}, [timeEl(m.lastHeartbeat)]),
    ]),
  );
  fill(document.querySelector('#state-managers tbody'), managers);
  $('managers-empty').hidden = managers.length > 0;

  const sync = view.syncState;
  fill($('sync-info'), [
    sync ? 'last sync_state ' : 'no sync_state received yet: is a state manager running?',
    sync ? timeEl(sync.receivedAt) : null,
    view.source === 'redis' ? ' \u00b7 connections read from Redis (no recent sync_state)' : null,
  ]);
}

function queueState(q) {
  if (q.state === 'exclusive') return el('span', { class: 'muted', text: 'held by ' + q.serverId + ' (exclusive)' });
  if (q.state === 'missing') return pill(q.kind === 'server' ? 'gone' : 'missing', q.kind === 'server' ? '' : 'bad');
  if (q.state === 'unknown') return pill('unknown', 'warn');
  return pill('ok', 'ok');
}

function renderQueues(sample) {
  const kinds = { status: 'status', 'dead-letter': 'dead letters', server: 'server ' };
  const rows = sample.queues.map((q) => {
    const alert = q.kind === 'dead-letter' && q.messages > 0;
    return el('tr', { 'data-queue': q.name, class: alert ? 'warn' : '' }, [
      el('td', { class: 'mono', text: q.name }),
      el('td', { text: q.kind === 'server' ? 'server ' + q.serverId : kinds[q.kind] }),
      el('td', { class: 'num messages', text: num(q.messages) }),
      el('td', { class: 'num', text: num(q.consumers) }),
      el('td', { class: 'num', text: num(q.publishRate, 1) }),
      el('td', { class: 'num', text: num(q.deliverRate, 1) }),
      el('td', { class: 'num', text: num(q.depthRate, 1) }),
      el('td', {}, [queueState(q)]),
    ]);
  });
  fill(document.querySelector('#queue-table tbody'), rows);
  fill($('queues-at'), ['sampled ', timeEl(sample.at)]);
  $('rates-note').textContent = sample.rates.note;
  const dlq = sample.queues.find((q) => q.kind === 'dead-letter');
  const depth = dlq ? dlq.messages : null;
  if (depth !== state.dlqDepth) {
    state.dlqDepth = depth;
    loadDeadLetters();
  }
}
`;
