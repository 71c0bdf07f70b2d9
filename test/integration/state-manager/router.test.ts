// Needs RabbitMQ running (AMQP_URL, localhost default). Declares its own exchange and queue in
// a random namespace and deletes them afterwards.
import { expect } from 'chai';
import type { Channel } from 'amqplib';
import { pino } from 'pino';
import { AmqpConnection } from '../../../src/shared/amqp/connection.js';
import { ManagedChannel } from '../../../src/shared/amqp/channel.js';
import { BusSigner } from '../../../src/shared/bus-signature.js';
import { createNames } from '../../../src/topology/names.js';
import { Router } from '../../../src/state-manager/router.js';
import {
  ServerQueueMessage,
  toServerMessage,
  type SingleServerRoute,
} from '../../../src/protocol/index.js';
import { AMQP_URL, randomNamespace } from '../../helpers/env.js';
import { boundQueue, takeSignedParsed } from '../../helpers/amqp-take.js';

describe('state-manager/Router', () => {
  const silent = pino({ level: 'silent' });
  const signer = new BusSigner('router-test-secret-0123456789abcdef');
  const names = createNames(randomNamespace());
  const queue = names.entity('serverX_queue');
  let bound: Awaited<ReturnType<typeof boundQueue>>;
  let ch: Channel;
  let connection: AmqpConnection;
  let channel: ManagedChannel;
  let router: Router;

  before(async () => {
    bound = await boundQueue(names.routeExchange, queue, names.serverRoutingKey('serverX'));
    ch = bound.ch;
    connection = new AmqpConnection({ urls: [AMQP_URL], name: 'router-test', logger: silent });
    await connection.start();
    channel = new ManagedChannel({ connection, name: 'router-test', logger: silent });
    channel.start();
    await channel.ready();
    router = new Router(channel, names, signer);
  });
  after(async () => {
    await channel.close();
    await connection.close();
    await bound.remove();
  });

  const presence = (target: string, clientId: string): SingleServerRoute =>
    toServerMessage('serverA', target, {
      messageType: 'presence',
      examId: 'EXAM1',
      payload: { clientId, online: true, serverId: 'serverA' },
    });
  /** Every message in the queue, verified and parsed as its consumer does. */
  const drain = () => takeSignedParsed(ch, queue, signer, ServerQueueMessage);

  it('sends what is routed to one server in one turn as one signed batch, in order', async () => {
    const results = await Promise.all(
      ['E001', 'E002', 'E003'].map((id) => router.toServer(presence('serverX', id))),
    );
    expect(results.map((r) => r.returned)).to.deep.equal([false, false, false]);
    const [batch, ...rest] = await drain();
    expect(rest).to.deep.equal([]);
    if (batch?.type !== 'route_message' || batch.data.messageType !== 'batch') {
      throw new Error(`expected one batch, got ${JSON.stringify(batch)}`);
    }
    expect(batch.data.targetServer).to.equal('serverX');
    expect(
      batch.data.messages.map((m) => (m.messageType === 'presence' ? m.payload.clientId : '')),
    ).to.deep.equal(['E001', 'E002', 'E003']);
  });

  it('sends a message routed alone as it is, not wrapped', async () => {
    await router.toServer(presence('serverX', 'E009'));
    expect(await drain()).to.deep.equal([presence('serverX', 'E009')]);
  });

  it('tells every message of a batch that no queue took it', async () => {
    const results = await Promise.all([
      router.toServer(presence('serverGone', 'E001')),
      router.toServer(presence('serverGone', 'E002')),
      router.toServer(presence('serverX', 'E003')),
    ]);
    expect(results.map((r) => r.returned)).to.deep.equal([true, true, false]);
    expect(await drain()).to.have.length(1);
  });
});
