/**
 * `/try/supervisor?as=S001`: a supervisor console for the exam. One row per examinee with its
 * presence and current status, one button per status for it and for the whole exam; each click
 * shows its ack (delivered / pending) or error. Rows fill from the snapshot after welcome and
 * follow live status changes and presence.
 */
import {
  ExamRelayError,
  type AckData,
  type ExamineeStatus,
  type StatusTarget,
} from '../../../client/index.js';
import { ExamineeStatus as Statuses } from '../../../protocol/common.js';
import { $, byId, el, logLine } from './dom.js';
import { connectPage } from './connect.js';

interface Row {
  presence: HTMLElement;
  status: HTMLElement;
  reply: HTMLElement;
}

async function main(): Promise<void> {
  const { client, session } = await connectPage();
  const tbody = byId('examinees', HTMLTableElement).tBodies[0];
  if (!tbody) throw new Error('the examinee table has no body');
  const rows = new Map<string, Row>();
  $('exam-id').textContent = session.examId;

  /** Sends a change and shows what came back in `reply`. */
  const change = (target: StatusTarget, status: ExamineeStatus, reply: HTMLElement) => {
    const say = (state: string, text: string) => {
      reply.dataset.reply = state;
      reply.textContent = text;
    };
    say('sending', `${status}: sending\u2026`);
    client.changeStatus(target, status).then(
      (ack) => say('ack', describeAck(ack)),
      (err: unknown) => say('error', `${status}: ${describeError(err)}`),
    );
  };
  /** One button per status, labelled with its name. */
  const buttons = (target: StatusTarget, reply: () => HTMLElement) =>
    Statuses.options.map((status) =>
      el('button', {
        text: status,
        attrs: { type: 'button' },
        onclick: () => change(target, status, reply()),
      }),
    );

  const row = (clientId: string): Row => {
    const existing = rows.get(clientId);
    if (existing) return existing;
    const made: Row = {
      presence: el('span', { class: 'presence', text: 'offline' }),
      status: el('span', { class: 'pill', text: 'none yet', attrs: { 'data-status': '' } }),
      reply: el('td', { class: 'reply', attrs: { 'data-reply': 'none' } }),
    };
    rows.set(clientId, made);
    const tr = el('tr', { attrs: { 'data-client': clientId } }, [
      el('td', {}, [el('strong', { text: clientId })]),
      el('td', {}, [made.presence]),
      el('td', { class: 'status' }, [made.status]),
      el('td', {}, [
        el(
          'div',
          { class: 'buttons' },
          buttons({ targetExamineeId: clientId }, () => made.reply),
        ),
      ]),
      made.reply,
    ]);
    const after = [...tbody.rows].find((r) => (r.dataset.client ?? '') > clientId);
    tbody.insertBefore(tr, after ?? null);
    return made;
  };
  const setStatus = (r: Row, status: ExamineeStatus | undefined) => {
    r.status.textContent = status ?? 'none yet';
    r.status.dataset.status = status ?? '';
  };
  const setPresence = (r: Row, online: boolean, serverId?: string) => {
    r.presence.className = online ? 'presence on' : 'presence';
    r.presence.textContent = online ? (serverId ? `online on ${serverId}` : 'online') : 'offline';
  };
  const examStatus = (status: ExamineeStatus | undefined) => {
    const node = $('exam-status');
    node.textContent = status ?? 'none';
    node.dataset.status = status ?? '';
  };

  for (const id of session.roster) row(id);
  $('exam-buttons').append(...buttons({ examId: session.examId }, () => $('exam-reply')));

  client.on('welcome', (welcome) => examStatus(welcome.status?.status));
  client.on('snapshot', (snapshot) => {
    examStatus(snapshot.status?.status);
    for (const e of snapshot.examinees) {
      const r = row(e.clientId);
      setStatus(r, e.status?.status);
      // Keep a server name that presence told us while the examinee stays online.
      if (!e.online || !r.presence.classList.contains('on')) setPresence(r, e.online);
    }
  });
  client.on('presence', ({ clientId, online, serverId }) => {
    setPresence(row(clientId), online, serverId);
    logLine(`${clientId} ${online ? `came online on ${serverId}` : 'went offline'}`);
  });
  client.on('statusChange', ({ seq, data }) => {
    if (data.targetExamineeId !== undefined) setStatus(row(data.targetExamineeId), data.status);
    else {
      examStatus(data.status);
      for (const r of rows.values()) setStatus(r, data.status);
    }
    const target = data.targetExamineeId ?? `all of ${data.examId ?? '?'}`;
    logLine(`#${seq} ${data.status} for ${target} by ${data.supervisorId}`);
  });
}

function describeError(err: unknown): string {
  if (err instanceof ExamRelayError) return `${err.code} ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function describeAck(ack: AckData): string {
  const list = (ids: string[] | undefined) => (ids && ids.length > 0 ? ids.join(', ') : 'none');
  return (
    `${ack.status} acked: delivered to ${list(ack.delivered)}; ` +
    `pending for ${list(ack.pending)}`
  );
}

void main();
