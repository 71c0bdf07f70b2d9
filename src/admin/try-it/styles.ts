/** The try-it pages' stylesheet: plain CSS, in the admin page's colours. */
export const TRY_CSS = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --line: #e2e5ea; --text: #1d2330; --muted: #667085;
  --ok: #1a7f37; --ok-bg: #e7f5eb; --bad: #b42318; --bad-bg: #fdecea; --warn: #9a6700;
  --warn-bg: #fff4d6; --info: #175cd3; --info-bg: #e8f0fe;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.top { display: flex; align-items: center; gap: 16px; padding: 10px 24px; background: #17202e; color: #fff; }
.top h1 { margin: 0; font-size: 17px; font-weight: 650; }
.top h1 a { color: inherit; text-decoration: none; }
.top h1 span { font-weight: 400; color: #aab4c3; }
.who { flex: 1; color: #d0d7e2; }
.connection { padding: 2px 10px; border-radius: 999px; background: #2a3547; color: #d0d7e2; font-size: 13px; }
.connection[data-state="open"] { background: #1a7f37; color: #fff; }
.connection[data-state="reconnecting"], .connection[data-state="stopped"] { background: #b42318; color: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 40px; }
main.narrow { max-width: 720px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 18px; }
.card h2 { margin: 0 0 8px; font-size: 16px; font-weight: 650; }
.card-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.card-head h2 { margin: 0; }
.muted { color: var(--muted); }
.banner { padding: 10px 14px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); border: 1px solid #f5c2bd; }
.people li { margin: 6px 0; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; }
.buttons { display: flex; flex-wrap: wrap; gap: 5px; }
button { font: inherit; font-size: 12.5px; padding: 4px 9px; border-radius: 6px; border: 1px solid #c9ced6;
  background: #fff; color: var(--text); cursor: pointer; }
button:hover { background: #f0f2f5; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12.5px; font-weight: 600;
  background: #eef0f3; color: #475467; }
.presence { color: var(--muted); white-space: nowrap; }
.presence.on { color: var(--ok); font-weight: 600; }
.reply { margin: 8px 0 0; font-size: 13px; min-height: 1.3em; }
td.reply { margin: 0; max-width: 280px; }
.reply[data-reply="ack"] { color: var(--ok); }
.reply[data-reply="error"] { color: var(--bad); }
.reply[data-reply="sending"] { color: var(--muted); }
.log { margin: 0; padding-left: 20px; max-height: 220px; overflow: auto; font-size: 12.5px; color: var(--muted);
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.examinee { text-align: center; }
.examinee .label { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .6px; font-size: 12px; }
.big { display: inline-block; margin: 10px 0; padding: 14px 36px; border-radius: 14px; font-size: 56px;
  font-weight: 750; letter-spacing: 1px; background: #eef0f3; color: #475467; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; max-width: 360px; margin: 10px auto 0; text-align: left; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
td .buttons { flex-wrap: nowrap; }
/* Last, so that a status colours the big status box too. */
[data-status="STARTED"], [data-status="RESUMED"] { background: var(--ok-bg); color: var(--ok); }
[data-status="PAUSED"] { background: var(--warn-bg); color: var(--warn); }
[data-status="ENDED"], [data-status="TERMINATED"] { background: var(--bad-bg); color: var(--bad); }
[data-status="READY"] { background: var(--info-bg); color: var(--info); }
`;
