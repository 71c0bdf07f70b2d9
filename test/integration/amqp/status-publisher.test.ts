// Needs RabbitMQ running (AMQP_URL, localhost default). Declares its own exchange and queue in
// a random namespace and deletes them afterwards.
import { expect } from 'chai';
import type { Channel } from 'amqplib';
import { pino } from 'pino';
import { AmqpConnection } from '../../../src/shared/amqp/connection.js';
import { BusSigner } from '../../../src/shared/bus-signature.js';
import { UnavailableError } from '../../../src/shared/errors.js';
import { createNames } from '../../../src/topology/names.js';
import { StatusPublisher } from '../../../src/server/status-publisher.js';
import { createServerMetrics } from '../../../src/server/metrics.js';
import { heartbeatMessage, linkCommand } from '../../../src/server/commands.js';
import { StatusQueueMessage } from '../../../src/protocol/index.js';
import { AMQP_URL, randomNamespace } from '../../helpers/env.js';
import { boundQueue, takeSignedParsed } from '../../helpers/amqp-take.js';

describe('server/StatusPublisher', () => {
  const silent = pino({ level: 'silent' });
  const signer = new BusSigner('publisher-test-secret-0123456789abcdef');
  const names = createNames(randomNamespace());
  let queue: Awaited<ReturnType<typeof boundQueue>>;
  let ch: Channel;
  let connection: AmqpConnection;
  let publisher: StatusPublisher;

  before(async () => {
    queue = await boundQueue(names.statusExchange, names.statusQueue, names.statusRoutingKey);
    ch = queue.ch;
    connection = new AmqpConnection({ urls: [AMQP_URL], name: 'publisher-test', logger: silent });
    await connection.start();
    publisher = new StatusPublisher({
      amqp: connection,
      signer,
      names,
      metrics: createServerMetrics(),
      logger: silent,
      confirmTimeoutMs: 5000,
    });
    publisher.channel.start();
    await publisher.channel.ready();
  });
  after(async () => {
    await publisher.channel.close();
    await connection.close();
    await queue.remove();
  });

  const link = (clientId: string, kind: 'connect' | 'disconnect' = 'connect') =>
    linkCommand(
      'serverA',
      kind,
      {
        clientId,
        role: 'examinee',
        examId: 'EXAM1',
        connId: '11111111-1111-4111-8111-111111111111',
      },
      new Date().toISOString(),
    );
  /** Every message in the queue, verified and parsed as its consumer does. */
  const drain = () => takeSignedParsed(ch, names.statusQueue, signer, StatusQueueMessage);

  it("puts one turn's commands on the partition as one signed batch, in order", async () => {
    await Promise.all([
      publisher.publish(link('E001')),
      publisher.publish(link('E002')),
      publisher.publish(link('E001', 'disconnect')),
    ]);
    const all = await drain();
    expect(all).to.have.length(1);
    const [batch] = all;
    if (batch?.type !== 'route_message' || batch.data.messageType !== 'batch') {
      throw new Error(`expected one batch, got ${JSON.stringify(batch)}`);
    }
    expect(
      batch.data.messages.map(
        (m) => `${m.messageType}:${'clientId' in m.payload ? m.payload.clientId : ''}`,
      ),
    ).to.deep.equal(['connect:E001', 'connect:E002', 'disconnect:E001']);
  });

  it('sends a command alone, and every heartbeat, as it is', async () => {
    const one = link('E003');
    const beat = heartbeatMessage('serverA', []);
    await Promise.all([publisher.publish(one), publisher.publish(beat)]);
    expect(await drain()).to.have.deep.members([one, beat]);
  });

  it('refuses every command of a batch no queue took', async () => {
    await ch.unbindQueue(names.statusQueue, names.statusExchange, names.statusRoutingKey);
    try {
      const results = await Promise.allSettled([
        publisher.publish(link('E001')),
        publisher.publish(link('E002')),
      ]);
      for (const r of results) {
        expect(r.status).to.equal('rejected');
        if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(UnavailableError);
      }
    } finally {
      await ch.bindQueue(names.statusQueue, names.statusExchange, names.statusRoutingKey);
    }
  });
});
