/**
 * `/try/examinee?as=E001`: the examinee's current status, large, updating live. It comes from
 * the server: the welcome's status on every (re)connect, then each status change in seq order.
 */
import type { ExamineeStatus } from '../../../client/index.js';
import { $, logLine } from './dom.js';
import { STATE_TEXT, connectPage } from './connect.js';

interface Shown {
  status: ExamineeStatus;
  supervisorId: string;
  timestamp: string;
}

function show(current: Shown | null, why: string): void {
  const status = $('status');
  status.textContent = current ? current.status : '\u2014';
  status.dataset.status = current?.status ?? '';
  $('since').textContent = current
    ? `set by ${current.supervisorId} at ${new Date(current.timestamp).toLocaleTimeString()} (${why})`
    : 'no status yet';
}

async function main(): Promise<void> {
  const { client } = await connectPage();
  const detail = $('connection-detail');
  client.on('status', () => (detail.textContent = STATE_TEXT[client.status]));
  client.on('welcome', (welcome) => {
    $('server').textContent = welcome.serverId;
    show(welcome.status, 'as of connecting');
  });
  client.on('statusChange', ({ seq, data }) => {
    show(data, data.examId ? 'for the whole exam' : 'for you');
    logLine(`#${seq} ${data.status} by ${data.supervisorId}${data.examId ? ' (whole exam)' : ''}`);
  });
  // After a resync the snapshot is the truth; an examinee's lists only itself.
  client.on('snapshot', (snapshot) => {
    const own = snapshot.examinees.find((e) => e.clientId === client.welcome?.clientId);
    if (own) show(own.status, 'as of a resync');
  });
}

void main();
