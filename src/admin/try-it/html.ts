import type { Role } from '../../protocol/index.js';

/** A demo identity of the try-it pages. */
export interface TryIdentity {
  clientId: string;
  role: Role;
  /** The id of the socket server its page connects to first. */
  serverId: string;
}

/**
 * The try-it pages' HTML. The scripts (src/admin/ui/try/) fill them; every element they look up
 * by id is here (test/unit/admin/try-it.test.ts checks).
 */
const head = (title: string, script?: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/try/assets/try.css">
${script ? `<script type="module" src="/try/assets/${script}"></script>\n` : ''}</head>`;

const topBar = `<header class="top">
  <h1><a href="/try/">exam-relay <span>try it</span></a></h1>
  <span id="who" class="who"></span>
  <span id="connection" class="connection" data-state="connecting">connecting</span>
</header>`;

/** `/try/`: one link per demo identity. Ids and servers are the dev process's own constants. */
export function indexHtml(examId: string, identities: TryIdentity[]): string {
  const link = (i: TryIdentity) =>
    `  <li><a href="/try/${i.role}?as=${i.clientId}">${i.clientId}</a> ${i.role} of ${examId}, ` +
    `on ${i.serverId} (fails over to the other server)</li>`;
  return `${head('exam-relay: try it')}
<body>
<header class="top"><h1>exam-relay <span>try it</span></h1></header>
<main class="narrow">
<section class="card">
<h2>Open one page per person</h2>
<p>Each page is a real client of the dev cluster (the project's own client SDK in your browser),
with a token from this dev process. Open the supervisor and a few examinees side by side, change
a status, and watch it arrive. Reload a page or stop a server: the status survives.</p>
<ul class="people">
${identities.map(link).join('\n')}
</ul>
<p class="muted">The operator's view of the same cluster is the <a href="/">admin</a>.</p>
</section>
</main>
</body>
</html>
`;
}

/** Both pages end with their event log. */
const eventsAndEnd = `<section class="card">
  <h2>Events</h2>
  <ol id="log" class="log"></ol>
</section>
</main>
</body>
</html>
`;

export function supervisorHtml(): string {
  return `${head('exam-relay: supervisor', 'supervisor.js')}
<body>
${topBar}
<main>
<p id="problem" class="banner" hidden></p>
<section id="exam-wide" class="card">
  <div class="card-head"><h2>Whole exam <span id="exam-id"></span></h2>
  <span class="muted">last exam-wide status: <span id="exam-status">none</span></span></div>
  <div id="exam-buttons" class="buttons"></div>
  <p id="exam-reply" class="reply" data-reply="none"></p>
</section>
<section class="card">
  <div class="card-head"><h2>Examinees</h2><span class="muted">live: presence and status</span></div>
  <table id="examinees">
    <thead><tr><th>Examinee</th><th>Presence</th><th>Status</th><th>Set status</th><th>Reply</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
${eventsAndEnd}`;
}

export function examineeHtml(): string {
  return `${head('exam-relay: examinee', 'examinee.js')}
<body>
${topBar}
<main class="narrow">
<p id="problem" class="banner" hidden></p>
<section class="card examinee">
  <p class="label">Your status</p>
  <p id="status" role="status" class="big" data-status="">&mdash;</p>
  <p id="since" class="muted"></p>
  <dl class="kv">
    <dt>Connection</dt><dd id="connection-detail">connecting</dd>
    <dt>Server</dt><dd id="server">&mdash;</dd>
  </dl>
</section>
${eventsAndEnd}`;
}
