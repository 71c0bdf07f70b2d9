/**
 * `AMQP_URL` as a list: the nodes of one RabbitMQ cluster, comma-separated. A pure parser, so
 * that config validation, the connection and the commands read the list the same way.
 */

/** Why a list of AMQP URLs is refused; never contains the URLs (they may hold passwords). */
export type AmqpUrlProblem = string;

/**
 * Splits `value` on commas and checks that the items can be nodes of one cluster: none empty,
 * each an `amqp:` or `amqps:` URL with a host, all of one scheme and one vhost. Returns the
 * trimmed items, or the problems found (naming items by position, never by value).
 */
export function parseAmqpUrls(
  value: string,
): { ok: true; urls: string[] } | { ok: false; problems: AmqpUrlProblem[] } {
  const items = value.split(',').map((s) => s.trim());
  const problems: AmqpUrlProblem[] = [];
  const parsed: { index: number; scheme: string; vhost: string }[] = [];
  items.forEach((item, i) => {
    const n = i + 1;
    if (item === '') {
      problems.push(`item ${n} of the list is empty`);
      return;
    }
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      problems.push(`item ${n} is not a URL`);
      return;
    }
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
      problems.push(`item ${n} must use amqp: or amqps:`);
      return;
    }
    if (url.hostname === '') {
      problems.push(`item ${n} has no host`);
      return;
    }
    parsed.push({ index: n, scheme: url.protocol.slice(0, -1), vhost: vhostOf(item) });
  });
  const [first, ...rest] = parsed;
  if (first) {
    for (const other of rest) {
      if (other.scheme !== first.scheme) {
        problems.push(
          `item ${other.index} uses ${other.scheme} but item ${first.index} ${first.scheme}: the nodes of one cluster share one scheme`,
        );
      }
      if (other.vhost !== first.vhost) {
        problems.push(
          `item ${other.index} names vhost "${other.vhost}" but item ${first.index} "${first.vhost}": the nodes of one cluster share one vhost`,
        );
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, urls: items };
}

/** The vhost amqplib connects to for this URL (the path, `/` when empty). */
export function vhostOf(amqpUrl: string): string {
  try {
    const path = new URL(amqpUrl).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
  } catch {
    return '/';
  }
}

/**
 * The management API of the list's first node, for when `RABBITMQ_MANAGEMENT_URL` is not set:
 * `http` (`https` for `amqps`) on port 15672 (15671) of the first node's host, with its
 * credentials (guest/guest when the URL has none, as amqplib assumes).
 */
export function managementUrlFor(amqpUrls: readonly string[]): string {
  const first = amqpUrls[0];
  const url = new URL(first ?? 'amqp://127.0.0.1');
  const tls = url.protocol === 'amqps:';
  const management = new URL(`${tls ? 'https' : 'http'}://${url.host}`);
  management.port = tls ? '15671' : '15672';
  management.username = url.username === '' && url.password === '' ? 'guest' : url.username;
  management.password = url.username === '' && url.password === '' ? 'guest' : url.password;
  return management.toString().replace(/\/$/, '');
}
