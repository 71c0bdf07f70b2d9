/** The admin page's stylesheet: plain CSS, no framework. */
export const PAGE_CSS = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --line: #e2e5ea; --text: #1d2330; --muted: #667085;
  --ok: #1a7f37; --ok-bg: #e7f5eb; --bad: #b42318; --bad-bg: #fdecea; --warn: #9a6700;
  --warn-bg: #fff4d6; --info: #175cd3; --info-bg: #e8f0fe; --idle: #475467; --idle-bg: #eef0f3;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.top { position: sticky; top: 0; z-index: 2; display: flex; align-items: center; gap: 16px;
  padding: 10px 24px; background: #17202e; color: #fff; }
.top h1 { margin: 0; font-size: 17px; font-weight: 650; letter-spacing: .2px; white-space: nowrap; }
.top h1 span { font-weight: 400; color: #aab4c3; }
.top nav { display: flex; gap: 4px; flex: 1; flex-wrap: wrap; }
.top nav a { color: #d0d7e2; text-decoration: none; padding: 4px 9px; border-radius: 6px; }
.top nav a:hover { background: #2a3547; color: #fff; }
.badge { background: #2a3547; color: #d0d7e2; border-radius: 6px; padding: 2px 8px; font-size: 12px; }
.live { display: flex; align-items: center; gap: 7px; font-size: 13px; color: #d0d7e2; white-space: nowrap; }
.live .dot { width: 9px; height: 9px; border-radius: 50%; background: #98a2b3; }
.live[data-state="live"] .dot { background: #3fb950; box-shadow: 0 0 0 3px rgba(63,185,80,.25); }
.live[data-state="reconnecting"] .dot, .live[data-state="closed"] .dot { background: #f04438; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 40px; }
.banner { margin: 0 0 16px; padding: 10px 14px; border-radius: 8px; background: var(--bad-bg);
  color: var(--bad); border: 1px solid #f5c2bd; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin-bottom: 18px; scroll-margin-top: 64px; }
.card-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
.card-head h2 { margin: 0; font-size: 16px; font-weight: 650; }
.card-head .actions, .card-head form { margin-left: auto; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .5px; color: var(--muted);
  margin: 18px 0 6px; font-weight: 600; }
.grid2 { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; }
.grid2 .card { margin-bottom: 18px; min-width: 0; }
@media (max-width: 980px) { .grid2 { grid-template-columns: 1fr; } }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted);
  border-bottom: 1px solid var(--line); padding: 6px 10px 6px 0; white-space: nowrap; }
td { border-bottom: 1px solid #f0f2f5; padding: 7px 10px 7px 0; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.right { text-align: right; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 12.5px; margin: 10px 0 0; }
.empty { color: var(--muted); margin: 8px 0 2px; font-style: italic; }
.count { display: inline-block; min-width: 22px; padding: 0 7px; border-radius: 11px; font-size: 12px;
  background: var(--idle-bg); color: var(--idle); text-align: center; vertical-align: 2px; }
.count.alert { background: var(--bad); color: #fff; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  background: var(--idle-bg); color: var(--idle); white-space: nowrap; }
.pill.ok, .pill[data-status="STARTED"], .pill[data-status="RESUMED"] { background: var(--ok-bg); color: var(--ok); }
.pill.bad, .pill[data-status="TERMINATED"] { background: var(--bad-bg); color: var(--bad); }
.pill.warn, .pill[data-status="PAUSED"] { background: var(--warn-bg); color: var(--warn); }
.pill.info, .pill[data-status="READY"] { background: var(--info-bg); color: var(--info); }
.pill[data-status="ENDED"] { background: #e4e7ec; color: #344054; }
.presence { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.presence::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #c0c6d0; }
.presence.on::before { background: #2da44e; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding: 1px 7px;
  border: 1px solid var(--line); border-radius: 5px; background: #fafbfc; color: var(--text); cursor: pointer; }
.chip:hover { border-color: var(--info); color: var(--info); }
button { font: inherit; font-size: 13px; padding: 5px 12px; border-radius: 6px; border: 1px solid #cfd4dc;
  background: #fff; color: var(--text); cursor: pointer; }
button:hover:not(:disabled) { background: #f2f4f7; }
button:disabled { opacity: .5; cursor: default; }
button.danger { color: var(--bad); border-color: #f3b7b1; }
button.danger:hover:not(:disabled) { background: var(--bad-bg); }
button.primary { background: var(--info); border-color: var(--info); color: #fff; }
button.primary:hover:not(:disabled) { background: #1849a9; }
button.small { padding: 2px 9px; font-size: 12px; }
form.inline { display: flex; gap: 6px; }
input { font: inherit; font-size: 13px; padding: 5px 9px; border: 1px solid #cfd4dc; border-radius: 6px; width: 190px; }
input:focus, button:focus-visible { outline: 2px solid #84adff; outline-offset: 0; }
.flash { margin: 0 0 10px; padding: 8px 12px; border-radius: 6px; background: var(--ok-bg); color: var(--ok); }
.flash.error { background: var(--bad-bg); color: var(--bad); }
.summary { margin-bottom: 8px; }
.summary .pill { margin-left: 4px; }
.reason { margin-top: 3px; }
.dl-summary { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-word; }
details { margin-top: 4px; }
details summary { cursor: pointer; color: var(--info); font-size: 12.5px; }
pre { margin: 6px 0 0; padding: 8px 10px; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
  max-height: 260px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
.actions { display: flex; gap: 6px; justify-content: flex-end; }
tr.drift td { background: var(--bad-bg); }
tr.drift td:first-child { box-shadow: inset 3px 0 0 var(--bad); padding-left: 8px; }
tr.warn td { background: var(--warn-bg); }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
.steps { list-style: none; margin: 0; padding: 0; }
.steps li { position: relative; padding: 0 0 12px 26px; }
.steps li::before { content: ""; position: absolute; left: 6px; top: 5px; width: 10px; height: 10px;
  border-radius: 50%; background: var(--info); }
.steps li::after { content: ""; position: absolute; left: 10px; top: 17px; bottom: 0; width: 2px; background: var(--line); }
.steps li:last-child::after { display: none; }
.steps li.pending::before { background: var(--warn); }
.steps .what { font-weight: 600; }
.trace + .trace { border-top: 1px solid var(--line); margin-top: 12px; padding-top: 12px; }
.error-text { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.chart { min-height: 190px; }
`;
