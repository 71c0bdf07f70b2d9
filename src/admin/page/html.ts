/** The admin page. Data arrives from the JSON API and the event stream; see ../ui/admin.js. */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exam-relay admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/assets/admin.css">
<script src="/assets/uplot.js"></script>
<script type="module" src="/assets/admin.js"></script>
</head>
<body>
<header class="top">
  <h1>exam-relay <span>admin</span></h1>
  <span id="namespace" class="badge" hidden></span>
  <nav>
    <a href="#cluster">Cluster</a><a href="#queues">Queues</a><a href="#dead-letters">Dead letters</a><a href="#exams">Exams</a><a href="#trace">Trace</a><a href="#topology">Topology</a>
  </nav>
  <div id="live" class="live" data-state="connecting"><span class="dot"></span><span id="live-text">connecting</span></div>
</header>
<main>
  <p id="health-warning" class="banner" hidden></p>

  <section id="charts" class="card">
    <div class="card-head"><h2>Last 15 minutes</h2><span class="muted">since this page opened</span></div>
    <div class="charts">
      <div id="chart-rate" class="chart"></div>
      <div id="chart-depth" class="chart"></div>
      <div id="chart-connections" class="chart"></div>
      <div id="chart-dlq" class="chart"></div>
    </div>
  </section>

  <section id="cluster" class="card">
    <div class="card-head"><h2>Cluster</h2><span id="sync-info" class="muted"></span></div>
    <table id="servers">
      <thead><tr><th>Socket server</th><th>Status</th><th class="num">Connections</th><th>Last heartbeat</th><th>Clients</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="servers-empty" class="empty" hidden>No socket server has reported in yet.</p>
    <h3>State managers</h3>
    <table id="state-managers">
      <thead><tr><th>State manager</th><th>State</th><th>Last heartbeat</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="managers-empty" class="empty" hidden>No state manager has reported in: nothing consumes status_queue.</p>
  </section>

  <section id="queues" class="card">
    <div class="card-head"><h2>Queues</h2><span id="queues-at" class="muted"></span></div>
    <table id="queue-table">
      <thead><tr><th>Queue</th><th>Kind</th><th class="num">Messages</th><th class="num">Consumers</th><th class="num">In /s</th><th class="num">Out /s</th><th class="num">Depth change /s</th><th>State</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="rates-note" class="note"></p>
  </section>

  <section id="dead-letters" class="card">
    <div class="card-head">
      <h2>Dead letters <span id="dl-count" class="count">0</span></h2>
      <div class="actions">
        <button type="button" id="dl-refresh">Refresh</button>
        <button type="button" id="dl-replay-all">Replay all</button>
        <button type="button" id="dl-discard-all" class="danger">Discard all</button>
      </div>
    </div>
    <p id="dl-flash" class="flash" hidden></p>
    <table id="dl-table">
      <thead><tr><th>Reason</th><th>Message</th><th>Dead-lettered</th><th class="right">Action</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="dl-empty" class="empty">No dead letters.</p>
    <p id="dl-note" class="note" hidden></p>
  </section>

  <div class="grid2">
    <section id="exams" class="card">
      <div class="card-head">
        <h2>Exam</h2>
        <form id="exam-form" class="inline">
          <input id="exam-input" list="exam-list" placeholder="exam id, e.g. EXAM1" autocomplete="off" spellcheck="false">
          <datalist id="exam-list"></datalist>
          <button type="submit">Show</button>
        </form>
      </div>
      <div id="exam-summary" class="summary muted">Choose an exam to watch its examinees live.</div>
      <table id="exam-table" hidden>
        <thead><tr><th>Examinee</th><th>Presence</th><th>Status</th><th>Since</th><th>By</th><th class="num">Seq</th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="exam-supervisors" class="note"></p>
    </section>

    <section id="clients" class="card">
      <div class="card-head">
        <h2>Client</h2>
        <form id="client-form" class="inline">
          <input id="client-input" placeholder="client id, e.g. E001" autocomplete="off" spellcheck="false">
          <button type="submit">Look up</button>
        </form>
      </div>
      <div id="client-view" class="muted">Look up a client id to see its route, presence, status and last seq.</div>
    </section>
  </div>

  <section id="trace" class="card">
    <div class="card-head">
      <h2>Trace a request</h2>
      <form id="trace-form" class="inline">
        <input id="trace-input" placeholder="request id, e.g. m-1" autocomplete="off" spellcheck="false">
        <input id="trace-supervisor" placeholder="supervisor id (optional)" autocomplete="off" spellcheck="false">
        <button type="submit">Trace</button>
      </form>
    </div>
    <div id="trace-view" class="muted">Enter the id a supervisor gave a status change to see its path through the cluster.</div>
  </section>

  <section id="topology" class="card">
    <div class="card-head">
      <h2>Topology</h2>
      <span id="topology-state" class="muted">not checked yet</span>
      <div class="actions"><button type="button" id="topology-check">Check again</button></div>
    </div>
    <table id="topology-table">
      <thead><tr><th>Entity</th><th>Name</th><th>In the file</th><th>On the broker</th></tr></thead>
      <tbody></tbody>
    </table>
    <table id="binding-table">
      <thead><tr><th>Binding</th><th>Routing key</th><th>On the broker</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="topology-note" class="note"></p>
  </section>
</main>
</body>
</html>
`;
