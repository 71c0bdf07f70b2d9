// Needs RabbitMQ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). An AmqpConnection
// given a list of nodes starts where it is told (random by default) and, when its connection
// is lost, reconnects to the next node of the list. Two TCP proxies in front of the one broker
// stand for two nodes; cutting one drops its connection and refuses new ones.
import { expect } from 'chai';
import { pino } from 'pino';
import { AmqpConnection } from '../../../src/shared/amqp/connection.js';
import { AMQP_URL } from '../../helpers/env.js';
import { proxyOf, type TcpProxy } from '../../helpers/tcp-proxy.js';

const silent = pino({ level: 'silent' });

describe('shared/amqp/connection failover', () => {
  const proxies: TcpProxy[] = [];
  const connections: AmqpConnection[] = [];
  afterEach(async () => {
    for (const c of connections.splice(0)) await c.close();
    for (const p of proxies.splice(0)) await p.close();
  });

  /** A URL of the broker through a new proxy. */
  async function node(): Promise<{ proxy: TcpProxy; url: string }> {
    const { proxy, url } = await proxyOf(AMQP_URL, 5672);
    proxies.push(proxy);
    return { proxy, url: url.toString() };
  }

  /** A started connection to the nodes of `urls`, beginning at the first. */
  async function connected(urls: string[]): Promise<AmqpConnection> {
    const conn = new AmqpConnection({ urls, firstNode: 0, name: 'failover', logger: silent });
    connections.push(conn);
    await conn.start();
    return conn;
  }

  it('moves to the next node when its connection is lost, and emits ready there', async () => {
    const a = await node();
    const b = await node();
    const conn = await connected([a.url, b.url]);
    expect(a.proxy.connections).to.equal(1);
    expect(b.proxy.connections).to.equal(0);
    const readyAgain = new Promise<void>((resolve) => conn.once('ready', () => resolve()));
    a.proxy.cut();
    await readyAgain;
    expect(conn.status).to.equal('ready');
    expect(b.proxy.connections).to.equal(1);
    expect(conn.nodeUrl).to.include(`:${b.proxy.port}`);
  });

  it('skips a node that refuses connections and connects to the next', async () => {
    const a = await node();
    const b = await node();
    a.proxy.cut();
    await connected([a.url, b.url]);
    expect(b.proxy.connections).to.equal(1);
  });

  it('starts at a random node of the list by default, so processes spread', () => {
    const urls = ['amqp://n1', 'amqp://n2', 'amqp://n3'];
    const first = new Set(
      Array.from(
        { length: 60 },
        () => new AmqpConnection({ urls, name: 'x', logger: silent }).nodeUrl,
      ),
    );
    expect([...first].sort()).to.deep.equal(urls);
  });
});
