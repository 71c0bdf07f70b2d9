// @ts-check
/**
 * The admin page's script (served as /assets/admin.js, an ES module). Data reaches the DOM only
 * as text nodes, never as HTML: client ids and dead-letter bodies are untrusted. Type-checked by
 * `npm run typecheck` (src/admin/ui/tsconfig.json) against the API's own view types.
 */
import { recordCluster, recordQueues } from './charts.js';

/** @typedef {import('../cluster.js').ClusterView} ClusterView */
/** @typedef {import('../queues.js').QueueSample} QueueSample */
/** @typedef {import('../queues.js').QueueStat} QueueStat */
/** @typedef {import('../dead-letters.js').DeadLetterList} DeadLetterList */
/** @typedef {import('../dead-letters.js').DeadLetterActionResult} DeadLetterActionResult */
/** @typedef {import('../exam-view.js').ExamView} ExamView */
/** @typedef {import('../client-view.js').ClientView} ClientView */
/** @typedef {import('../topology-view.js').TopologyView} TopologyView */
/** @typedef {import('../topology-view.js').EntityRow} EntityRow */
/** @typedef {import('../trace.js').RequestTrace} RequestTrace */
/** @typedef {{ amqp: string, redis: string, syncStateListener: string }} HealthView */
/** @typedef {{ namespace: string }} HelloView */
/**
 * The events of /api/events (see live-feed.ts) and what each carries.
 * @typedef {{
 *   hello: HelloView,
 *   cluster: ClusterView,
 *   queues: QueueSample,
 *   health: HealthView,
 *   exam: ExamResult,
 *   client: ClientResult,
 * }} FeedEvents
 */
/** An exam or client view, or the error that came instead. */
/** @typedef {ExamView | { examId: string, error: string }} ExamResult */
/** @typedef {ClientView | { clientId: string, error: string }} ClientResult */
/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {string | number | boolean | null | undefined | (() => void)} PropValue */

/**
 * The element with this id; a missing one is a bug in the page (the unit test checks the HTML).
 * @param {string} id
 * @returns {HTMLElement}
 */
const $ = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error('the page has no #' + id);
  return node;
};
/**
 * @param {string} id
 * @returns {HTMLInputElement}
 */
const input = (id) => {
  const node = $(id);
  if (!(node instanceof HTMLInputElement)) throw new Error('#' + id + ' is not an input');
  return node;
};
/**
 * @param {string} id
 * @returns {HTMLButtonElement}
 */
const button = (id) => {
  const node = $(id);
  if (!(node instanceof HTMLButtonElement)) throw new Error('#' + id + ' is not a button');
  return node;
};
/**
 * The first element matching a selector that starts with a page id, e.g. `#servers tbody`.
 * @param {string} selector
 * @returns {Element}
 */
const $$ = (selector) => {
  const node = document.querySelector(selector);
  if (!node) throw new Error('the page has no ' + selector);
  return node;
};

/**
 * @type {{
 *   exam: string,
 *   client: string,
 *   source: EventSource | null,
 *   dlqDepth: number | null | undefined,
 *   retry: ReturnType<typeof setTimeout> | undefined,
 * }}
 */
const state = { exam: '', client: '', source: null, dlqDepth: undefined, retry: undefined };

/**
 * @param {string} tag
 * @param {Record<string, PropValue>} [props] `text` becomes the text, `class` the class name,
 *   `on…` a listener; the rest are attributes (skipped when null, undefined or false)
 * @param {Child[]} [children]
 * @returns {HTMLElement}
 */
function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    } else if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children || []) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : String(child));
  }
  return node;
}

/**
 * @param {Element} node
 * @param {Child[]} children
 */
function fill(node, children) {
  node.replaceChildren(
    ...children.flatMap((c) =>
      c === null || c === undefined || c === false ? [] : [typeof c === 'object' ? c : String(c)],
    ),
  );
}

/** @param {string | null | undefined} iso */
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

/** @param {string | null | undefined} iso */
function timeEl(iso) {
  if (!iso) return el('span', { class: 'muted', text: '\u2014' });
  return el('time', {
    datetime: iso,
    title: new Date(iso).toLocaleString(),
    'data-ago': iso,
    text: ago(iso),
  });
}

setInterval(() => {
  for (const t of document.querySelectorAll('[data-ago]'))
    t.textContent = ago(t.getAttribute('data-ago'));
}, 1000);

/**
 * @param {number | null | undefined} n
 * @param {number} [digits]
 */
function num(n, digits) {
  if (n === null || n === undefined) return 'n/a';
  return digits ? n.toFixed(digits) : n.toLocaleString();
}

/**
 * @param {string} text
 * @param {string} [kind]
 * @param {string} [status]
 */
function pill(text, kind, status) {
  return el('span', {
    class: 'pill' + (kind ? ' ' + kind : ''),
    'data-status': status,
    text: text,
  });
}

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A JSON API call. The result has the type the endpoint's view declares (see the typed
 * wrappers below); a non-2xx answer rejects with the API's error message.
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(data && data.error ? data.error.message : 'HTTP ' + res.status);
  return data;
}

/** @returns {Promise<{ exams: string[] }>} */
const getExams = () => api('GET', '/api/exams');
/** @param {string} id @returns {Promise<ExamView>} */
const getExam = (id) => api('GET', '/api/exams/' + encodeURIComponent(id));
/** @param {string} id @returns {Promise<ClientView>} */
const getClient = (id) => api('GET', '/api/clients/' + encodeURIComponent(id));
/** @returns {Promise<DeadLetterList>} */
const getDeadLetters = () => api('GET', '/api/dead-letters?limit=100');
/** @returns {Promise<TopologyView>} */
const getTopology = () => api('GET', '/api/topology');
/** @param {string} path @returns {Promise<{ traces: RequestTrace[] }>} */
const getTraces = (path) => api('GET', path);
/**
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<DeadLetterActionResult>}
 */
const postAction = (path, body) => api('POST', path, body);

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

/**
 * @param {string} mode
 * @param {string} [text]
 */
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
  /**
   * @template {keyof FeedEvents} K
   * @param {K} event
   * @param {(data: FeedEvents[K]) => void} render
   */
  const on = (event, render) =>
    source.addEventListener(event, (e) => {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        // eslint-disable-next-line no-console -- the browser console is where a render failure belongs (the e2e test watches it)
        console.error('cannot render ' + event, err);
      }
    });
  on('hello', (hello) => {
    const badge = $('namespace');
    badge.hidden = !hello.namespace;
    badge.textContent = 'namespace ' + hello.namespace;
  });
  on('cluster', (view) => {
    renderCluster(view);
    recordCluster(view);
  });
  on('queues', (sample) => {
    renderQueues(sample);
    recordQueues(sample);
  });
  on('health', renderHealth);
  on('exam', renderExam);
  on('client', renderClient);
}

/** @param {HealthView} h */
function renderHealth(h) {
  const problems = [];
  if (h.amqp !== 'ready') problems.push('broker connection ' + h.amqp);
  if (h.redis !== 'ready') problems.push('Redis connection ' + h.redis);
  if (h.syncStateListener !== 'ready') problems.push('sync_state listener ' + h.syncStateListener);
  const banner = $('health-warning');
  banner.hidden = problems.length === 0;
  banner.textContent =
    'The admin is degraded: ' + problems.join(', ') + '. What it shows may be stale.';
}

/** @param {ClusterView} view */
function renderCluster(view) {
  const rows = view.servers.map((s) => {
    const shown = s.clients.slice(0, 60);
    const more = s.connections - shown.length;
    return el('tr', { 'data-server': s.id }, [
      el('td', {}, [
        el('strong', { text: s.id }),
        el('div', { class: 'muted mono', text: s.queue }),
      ]),
      el('td', {}, [
        pill(s.status, s.status === 'ACTIVE' ? 'ok' : s.status === 'DOWN' ? 'bad' : ''),
      ]),
      el('td', { class: 'num connections', text: num(s.connections) }),
      el('td', {}, [timeEl(s.lastHeartbeat)]),
      el('td', {}, [
        el('div', { class: 'chips clients' }, [
          ...shown.map((id) =>
            el('button', {
              type: 'button',
              class: 'chip',
              'data-client': id,
              text: id,
              onclick: () => showClient(id),
            }),
          ),
          more > 0 ? el('span', { class: 'muted', text: '+' + more + ' more' }) : null,
          s.connections === 0 ? el('span', { class: 'muted', text: 'none' }) : null,
        ]),
      ]),
    ]);
  });
  fill($$('#servers tbody'), rows);
  $('servers-empty').hidden = rows.length > 0;

  const managers = view.stateManagers.map((m) =>
    el('tr', { 'data-manager': m.id }, [
      el('td', { class: 'mono', text: m.id }),
      el('td', {}, [m.alive ? pill('consuming', 'ok') : pill('silent', 'bad')]),
      el('td', {}, [timeEl(m.lastHeartbeat)]),
    ]),
  );
  fill($$('#state-managers tbody'), managers);
  $('managers-empty').hidden = managers.length > 0;

  const sync = view.syncState;
  fill($('sync-info'), [
    sync ? 'last sync_state ' : 'no sync_state received yet: is a state manager running?',
    sync ? timeEl(sync.receivedAt) : null,
    view.source === 'redis' ? ' \u00b7 connections read from Redis (no recent sync_state)' : null,
  ]);
}

/** @param {QueueStat} q */
function queueState(q) {
  if (q.state === 'exclusive')
    return el('span', { class: 'muted', text: 'held by ' + q.serverId + ' (exclusive)' });
  if (q.state === 'missing')
    return pill(q.kind === 'server' ? 'gone' : 'missing', q.kind === 'server' ? '' : 'bad');
  if (q.state === 'unknown') return pill('unknown', 'warn');
  return pill('ok', 'ok');
}

/** @param {QueueSample} sample */
function renderQueues(sample) {
  const kinds = { status: 'status', 'dead-letter': 'dead letters', server: 'server ' };
  const rows = sample.queues.map((q) => {
    const alert = q.kind === 'dead-letter' && (q.messages ?? 0) > 0;
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
  fill($$('#queue-table tbody'), rows);
  fill($('queues-at'), ['sampled ', timeEl(sample.at)]);
  $('rates-note').textContent = sample.rates.note;
  const dlq = sample.queues.find((q) => q.kind === 'dead-letter');
  const depth = dlq ? dlq.messages : null;
  if (depth !== state.dlqDepth) {
    state.dlqDepth = depth;
    loadDeadLetters();
  }
}
/**
 * @param {string} text
 * @param {boolean} isError
 */
function flash(text, isError) {
  const node = $('dl-flash');
  node.hidden = false;
  node.className = 'flash' + (isError ? ' error' : '');
  node.textContent = text;
}

/**
 * @param {string} body
 * @param {'utf8' | 'base64'} encoding
 */
function pretty(body, encoding) {
  if (encoding !== 'utf8') return '(base64) ' + body;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** @type {Promise<void> | null} */
let loadingDeadLetters = null;
async function loadDeadLetters() {
  if (loadingDeadLetters) return loadingDeadLetters;
  loadingDeadLetters = getDeadLetters()
    .then(renderDeadLetters, (err) => flash('Cannot list dead letters: ' + messageOf(err), true))
    .finally(() => (loadingDeadLetters = null));
  return loadingDeadLetters;
}

/** @param {DeadLetterList} list */
function renderDeadLetters(list) {
  const count = $('dl-count');
  count.textContent = String(list.depth);
  count.classList.toggle('alert', list.depth > 0);
  const rows = list.messages.map((m) =>
    el('tr', { 'data-id': m.id }, [
      el('td', {}, [
        pill(m.source, m.source === 'broker' ? 'warn' : 'info'),
        el('div', { class: 'reason', text: m.reason }),
        m.queue ? el('div', { class: 'muted mono', text: 'from ' + m.queue }) : null,
      ]),
      el('td', {}, [
        el('div', { class: 'dl-summary', text: m.summary }),
        el('details', {}, [
          el('summary', {
            text: 'body, ' + m.bodyBytes + ' bytes' + (m.truncated ? ' (cut)' : ''),
          }),
          el('pre', { class: 'body', text: pretty(m.body, m.bodyEncoding) }),
          el('pre', { text: JSON.stringify(m.headers, null, 2) }),
        ]),
      ]),
      el('td', {}, [
        m.deadLetteredAt
          ? timeEl(m.deadLetteredAt)
          : el('span', { class: 'muted', text: 'not recorded' }),
        el('div', { class: 'muted', text: 'id ' + m.id.slice(0, 8) }),
      ]),
      el('td', { class: 'right' }, [
        el('div', { class: 'actions' }, [
          el('button', {
            type: 'button',
            class: 'small primary',
            'data-action': 'replay',
            text: 'Replay',
            onclick: () => act('replay', m.id),
          }),
          el('button', {
            type: 'button',
            class: 'small danger',
            'data-action': 'discard',
            text: 'Discard',
            onclick: () => act('discard', m.id),
          }),
        ]),
      ]),
    ]),
  );
  fill($$('#dl-table tbody'), rows);
  $('dl-table').hidden = rows.length === 0;
  $('dl-empty').hidden = rows.length > 0;
  button('dl-replay-all').disabled = list.depth === 0;
  button('dl-discard-all').disabled = list.depth === 0;
  const note = $('dl-note');
  note.hidden = !list.truncated;
  note.textContent = 'Showing the oldest ' + list.messages.length + ' of ' + list.depth + '.';
}

/**
 * @param {'replay' | 'discard'} action
 * @param {string} [id] one dead letter; all of them when absent
 */
async function act(action, id) {
  const what = id ? 'this dead letter' : 'all dead letters';
  if (
    action === 'discard' &&
    !confirm('Discard ' + what + '? Discarded messages are gone for good.')
  )
    return;
  if (action === 'replay' && !id && !confirm('Replay all dead letters to status_queue?')) return;
  try {
    const path = '/api/dead-letters/' + (id ? id + '/' : '') + action;
    const result = await postAction(path, id ? undefined : { all: true });
    const verb = action === 'replay' ? 'Replayed' : 'Discarded';
    const parts = [
      verb +
        ' ' +
        result.done.length +
        ' message' +
        (result.done.length === 1 ? '' : 's') +
        (action === 'replay' ? ' to status_queue.' : '.'),
    ];
    if (result.missing.length) parts.push(result.missing.length + ' no longer in the queue.');
    if (result.failed.length)
      parts.push(result.failed.length + ' failed: ' + (result.failed[0]?.error ?? ''));
    flash(parts.join(' '), result.failed.length > 0 || result.done.length === 0);
  } catch (err) {
    flash(action + ' failed: ' + messageOf(err), true);
  }
  loadDeadLetters();
}

/** @param {string} id */
function showExam(id) {
  state.exam = id;
  input('exam-input').value = id;
  writeQuery();
  connect();
  getExam(id).then(renderExam, (err) => renderExam({ examId: id, error: messageOf(err) }));
}

/** @param {ExamResult} view */
function renderExam(view) {
  if (view.examId !== state.exam) return;
  const table = $('exam-table');
  if ('error' in view) {
    fill($('exam-summary'), [el('span', { class: 'error-text', text: view.error })]);
    table.hidden = true;
    $('exam-supervisors').textContent = '';
    return;
  }
  const s = view.summary;
  fill($('exam-summary'), [
    el('strong', { text: view.examId }),
    ': ' +
      s.examinees +
      ' examinee' +
      (s.examinees === 1 ? '' : 's') +
      ', ' +
      s.online +
      ' online ',
    ...Object.keys(s.byStatus)
      .sort()
      .map((k) => pill((k === 'NONE' ? 'no status' : k) + ' ' + s.byStatus[k], '', k)),
  ]);
  fill(
    $$('#exam-table tbody'),
    view.examinees.map((e) =>
      el('tr', { 'data-client': e.clientId }, [
        el('td', {}, [
          el('button', {
            type: 'button',
            class: 'chip',
            text: e.clientId,
            onclick: () => showClient(e.clientId),
          }),
        ]),
        el('td', {}, [
          el('span', {
            class: 'presence' + (e.online ? ' on' : ''),
            text: e.online ? 'online on ' + e.serverId : 'offline',
          }),
        ]),
        el('td', { class: 'status' }, [
          e.status
            ? pill(e.status, '', e.status)
            : el('span', { class: 'muted', text: 'none yet' }),
        ]),
        el('td', {}, [timeEl(e.statusAt)]),
        el('td', { class: 'mono', text: e.supervisorId || '' }),
        el('td', { class: 'num', text: num(e.lastSeq) }),
      ]),
    ),
  );
  table.hidden = false;
  $('exam-supervisors').textContent = view.supervisors.length
    ? 'Supervisors: ' +
      view.supervisors
        .map((x) => x.clientId + (x.online ? ' (online on ' + x.serverId + ')' : ' (offline)'))
        .join(', ')
    : 'No supervisor has joined this exam.';
}

/** @param {string} id */
function showClient(id) {
  state.client = id;
  input('client-input').value = id;
  writeQuery();
  connect();
  getClient(id).then(renderClient, (err) => renderClient({ clientId: id, error: messageOf(err) }));
  $('clients').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}

/** @param {ClientResult} c */
function renderClient(c) {
  if (c.clientId !== state.client) return;
  const view = $('client-view');
  view.className = '';
  if ('error' in c) {
    fill(view, [el('span', { class: 'error-text', text: c.error })]);
    return;
  }
  const r = c.route;
  const st = c.status;
  /** @type {[string, Child][]} */
  const pairs = [
    ['Client', el('strong', { class: 'mono', text: c.clientId })],
    [
      'Presence',
      el('span', {
        class: 'presence' + (c.online ? ' on' : ''),
        text: c.online ? 'online' : 'offline',
      }),
    ],
    [
      'Server',
      r ? r.serverId + (c.server && c.server.status ? ' (' + c.server.status + ')' : '') : '\u2014',
    ],
    ['Connected', r ? timeEl((c.server && c.server.connectedAt) || r.lastConnection) : '\u2014'],
    ['Role / exam', r && r.role ? r.role + ' in ' + r.examId : '\u2014'],
    ['Status', st ? pill(st.status, '', st.status) : 'none'],
    [
      'Status set',
      st
        ? el('span', {}, [
            timeEl(st.timestamp),
            ' by ' +
              (st.supervisorId || '?') +
              (st.requestId ? ' (request ' + st.requestId + ')' : ''),
          ])
        : '\u2014',
    ],
    ['Last seq', num(c.lastSeq)],
    [
      'History',
      c.historyFrames + ' frame' + (c.historyFrames === 1 ? '' : 's') + ' kept for resume',
    ],
  ];
  fill(view, [
    el(
      'dl',
      { class: 'kv' },
      pairs.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, [v])]),
    ),
  ]);
}

/**
 * @param {string} requestId
 * @param {string} supervisorId
 */
async function traceRequest(requestId, supervisorId) {
  const view = $('trace-view');
  view.className = '';
  fill(view, [el('span', { class: 'muted', text: 'Tracing ' + requestId + '\u2026' })]);
  try {
    const q = supervisorId ? '?supervisorId=' + encodeURIComponent(supervisorId) : '';
    const result = await getTraces('/api/requests/' + encodeURIComponent(requestId) + q);
    fill(view, result.traces.map(renderTrace));
  } catch (err) {
    fill(view, [el('span', { class: 'error-text', text: messageOf(err) })]);
  }
}

/** @param {RequestTrace} t */
function renderTrace(t) {
  const c = t.change;
  const target = c
    ? c.targetExamineeId
      ? 'examinee ' + c.targetExamineeId
      : 'all of exam ' + c.examId
    : '?';
  /** @param {string[]} ids */
  const seqs = (ids) =>
    ids
      .map((id) => {
        const r = t.recipients.find((x) => x.clientId === id);
        return id + (r ? ' #' + r.seq : '');
      })
      .join(', ');
  const steps = [
    el('li', {}, [
      el('span', { class: 'what', text: 'Received' }),
      ' by ' + (t.receivedBy || 'unknown server') + ' from supervisor ' + t.supervisorId,
    ]),
    el('li', {}, [
      el('span', { class: 'what', text: 'Processed' }),
      ' by ' + (t.processedBy || 'a state manager') + ' ',
      timeEl(t.processedAt),
      ': ' + (c ? c.status : '?') + ' for ' + target,
    ]),
    ...t.servers.map((s) =>
      el('li', {}, [
        el('span', { class: 'what', text: 'Routed to ' + s.serverId }),
        ', delivered to ' + seqs(s.clients),
      ]),
    ),
    t.pending.length
      ? el('li', { class: 'pending' }, [
          el('span', { class: 'what', text: 'Pending' }),
          ' (offline then, sent from history on resume): ' + seqs(t.pending),
        ])
      : null,
  ];
  return el('div', { class: 'trace' }, [
    el('div', {
      class: 'muted',
      text:
        'request ' +
        t.requestId +
        ' of ' +
        t.supervisorId +
        (t.expiresInSeconds !== null
          ? ', kept ' + Math.round(t.expiresInSeconds / 3600) + ' h more'
          : ''),
    }),
    el('ol', { class: 'steps' }, steps.filter(Boolean)),
  ]);
}

/** @param {EntityRow['file']} f */
function describeFile(f) {
  const parts = [];
  if (f.type) parts.push(f.type);
  parts.push(f.durable ? 'durable' : 'transient');
  if (f.autoDelete) parts.push('auto-delete');
  if (f.internal) parts.push('internal');
  for (const [k, v] of Object.entries(f.arguments || {})) parts.push(k + '=' + v);
  return parts.join(', ');
}

async function loadTopology() {
  const label = $('topology-state');
  fill(label, ['checking\u2026']);
  try {
    const v = await getTopology();
    fill(label, [
      v.ok
        ? pill('matches the file', 'ok')
        : pill(
            v.differences.length + ' difference' + (v.differences.length === 1 ? '' : 's'),
            'bad',
          ),
      ' ',
      timeEl(v.checkedAt),
    ]);
    fill(
      $$('#topology-table tbody'),
      v.entities.map((e) =>
        el('tr', { class: e.live === 'match' ? '' : 'drift', 'data-entity': e.name }, [
          el('td', { text: e.entity }),
          el('td', { class: 'mono', text: e.name }),
          el('td', { class: 'mono', text: describeFile(e.file) }),
          el(
            'td',
            {},
            e.live === 'match'
              ? [pill('matches', 'ok')]
              : e.live === 'missing'
                ? [pill('missing', 'bad')]
                : e.differences.map((d) =>
                    el('div', { class: 'mono' }, [
                      el('strong', { text: d.property }),
                      ': live ' +
                        (d.live === null ? 'none' : d.live) +
                        ', file ' +
                        (d.file === null ? 'none' : d.file),
                    ]),
                  ),
          ),
        ]),
      ),
    );
    fill(
      $$('#binding-table tbody'),
      v.bindings.map((b) =>
        el('tr', { class: b.live === 'missing' || b.live === 'unexpected' ? 'drift' : '' }, [
          el('td', { class: 'mono', text: b.exchange + ' \u2192 ' + b.queue }),
          el('td', { class: 'mono', text: b.routingKey || '(none)' }),
          el('td', {}, [
            b.live === 'match'
              ? pill('matches', 'ok')
              : b.live === 'unchecked'
                ? pill('not checked', '')
                : pill(b.live === 'unexpected' ? 'not in the file' : 'missing', 'bad'),
          ]),
        ]),
      ),
    );
    const notes = [
      'Each socket server declares ' +
        v.serverQueue.name +
        ' for itself (bound to ' +
        v.serverQueue.bindings.join(', ') +
        ').',
    ];
    if (!v.bindingsChecked) notes.push('Bindings not checked: ' + v.bindingsReason + '.');
    $('topology-note').textContent = notes.join(' ');
  } catch (err) {
    fill(label, [el('span', { class: 'error-text', text: 'check failed: ' + messageOf(err) })]);
  }
}

function init() {
  readQuery();
  $('exam-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input('exam-input').value.trim();
    if (id) showExam(id);
  });
  $('client-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input('client-input').value.trim();
    if (id) showClient(id);
  });
  $('trace-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input('trace-input').value.trim();
    if (id) traceRequest(id, input('trace-supervisor').value.trim());
  });
  $('dl-refresh').addEventListener('click', () => loadDeadLetters());
  $('dl-replay-all').addEventListener('click', () => act('replay'));
  $('dl-discard-all').addEventListener('click', () => act('discard'));
  $('topology-check').addEventListener('click', () => loadTopology());

  connect();
  loadDeadLetters();
  loadTopology();
  if (state.exam) showExam(state.exam);
  if (state.client) showClient(state.client);
  getExams().then(
    (list) => {
      fill(
        $('exam-list'),
        list.exams.map((id) => el('option', { value: id })),
      );
      const first = list.exams[0];
      if (!state.exam && first !== undefined) showExam(first);
    },
    () => undefined,
  );
}

init();
