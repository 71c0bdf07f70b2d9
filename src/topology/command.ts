import amqp, { type ChannelModel } from 'amqplib';
import { TopologyError } from '../shared/errors.js';
import { maskUrl, type Logger } from '../shared/logger.js';
import { vhostOf } from '../shared/amqp/urls.js';
import { isFatalConnectionError } from '../shared/amqp/reply-codes.js';
import { declareTopology } from './declare.js';
import { exportDefinitions } from './export.js';
import { loadTopologyFile, type Topology } from './load.js';
import { bindingName } from './management.js';
import { formatDifference, formatPlacement, verifyTopology } from './verify.js';

export type TopologySubcommand = 'declare' | 'verify' | 'export';

export interface TopologyCommandOptions {
  /** The topology file (TOPOLOGY_FILE). */
  file: string;
  /** RELAY_NAMESPACE; empty for none. */
  namespace: string;
  /**
   * The broker's nodes (AMQP_URL as parsed: one vhost), tried in order until one answers; the
   * vhost is also the vhost of exported and compared bindings.
   */
  amqpUrls: readonly string[];
  /** RabbitMQ management API for `verify` to compare bindings. Default none. */
  managementUrl?: string;
  logger: Logger;
  /** Receives the command's result, one line per call. */
  out: (line: string) => void;
  /** Receives errors and notes, one line (or one message) per call. */
  err: (line: string) => void;
}

/** `exam-relay topology declare|verify|export`; resolves with the exit code. */
export async function runTopologyCommand(
  sub: TopologySubcommand,
  opts: TopologyCommandOptions,
): Promise<number> {
  const log = opts.logger.child({ module: 'topology' });
  let topology: Topology;
  try {
    topology = await loadTopologyFile(opts.file, opts.namespace);
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    opts.err(err.message);
    return 1;
  }
  const vhost = vhostOf(opts.amqpUrls[0] ?? '');
  if (sub === 'export') {
    opts.out(JSON.stringify(exportDefinitions(topology, { vhost }), null, 2));
    return 0;
  }

  const connected = await connectAny(opts.amqpUrls, opts.err);
  if (!connected) return 1;
  const { model, url } = connected;
  let closed = false;
  model.once('close', () => {
    closed = true;
  });
  // Without a listener a connection error would be an uncaught exception; the pending operation
  // fails as well and is reported below.
  model.on('error', (err: Error) => log.error({ err }, 'AMQP connection error'));
  try {
    return sub === 'declare'
      ? await declare(model, topology, url, opts)
      : await verify(model, topology, vhost, opts);
  } catch (err) {
    if (!(err instanceof TopologyError)) log.error({ err }, `topology ${sub} failed`);
    opts.err(err instanceof TopologyError ? err.message : `topology ${sub} failed: ${String(err)}`);
    return 1;
  } finally {
    if (!closed) await model.close();
  }
}

/**
 * Connects to the first node of `urls` that answers; a node that refuses the credentials
 * ends the search, since the nodes of one cluster share their users.
 */
async function connectAny(
  urls: readonly string[],
  err: (line: string) => void,
): Promise<{ model: ChannelModel; url: string } | undefined> {
  for (const url of urls) {
    try {
      return { model: await amqp.connect(url, { noDelay: true }), url };
    } catch (e) {
      err(`cannot connect to ${maskUrl(url)}: ${e instanceof Error ? e.message : String(e)}`);
      if (isFatalConnectionError(e)) return undefined;
    }
  }
  return undefined;
}

async function declare(
  model: ChannelModel,
  topology: Topology,
  url: string,
  opts: TopologyCommandOptions,
): Promise<number> {
  const result = await declareTopology(model, topology);
  const state = (created: boolean) => (created ? 'created' : 'already present');
  for (const e of result.exchanges) {
    opts.out(`declared exchange ${e.name} (${e.type}, ${state(e.created)})`);
  }
  for (const q of result.queues) opts.out(`declared queue ${q.name} (${state(q.created)})`);
  for (const b of result.bindings) opts.out(`declared binding ${bindingName(b)}`);
  opts.out(`topology ${opts.file} declared on ${maskUrl(url)}`);
  return 0;
}

async function verify(
  model: ChannelModel,
  topology: Topology,
  vhost: string,
  opts: TopologyCommandOptions,
): Promise<number> {
  const result = await verifyTopology(model, topology, {
    managementUrl: opts.managementUrl,
    vhost,
  });
  if (!result.bindings.checked) opts.err(`note: bindings not checked (${result.bindings.reason})`);
  if (result.placement.checked) {
    opts.out(`cluster nodes: ${result.placement.clusterNodes.join(' ')}`);
    for (const p of result.placement.queues) opts.out(formatPlacement(p));
  } else {
    opts.err(`note: quorum members not checked (${result.placement.reason})`);
  }
  if (result.differences.length === 0) {
    opts.out(`topology matches ${opts.file}`);
    return 0;
  }
  for (const d of result.differences) opts.out(formatDifference(d));
  opts.err(`${result.differences.length} difference(s) between the broker and ${opts.file}`);
  return 1;
}
