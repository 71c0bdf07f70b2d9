import type { ManagedChannel } from '../shared/amqp/channel.js';

/**
 * Watches a server's broker channels: once either has been down longer than `closeAfterMs`
 * the server is cut off (a partition, a stalled link), and `onLost` sheds its clients so they
 * move to a server that can serve them. It fires once per outage. Returns a stopper.
 */
export function watchBroker(
  channels: ManagedChannel[],
  options: { closeAfterMs: number; onLost(downForMs: number): void },
): () => void {
  let downSince: number | undefined;
  let fired = false;
  const check = () => {
    const down = channels.some((c) => c.current === undefined);
    if (!down) {
      downSince = undefined;
      fired = false;
      return;
    }
    downSince ??= Date.now();
    const downFor = Date.now() - downSince;
    if (!fired && downFor >= options.closeAfterMs) {
      fired = true;
      options.onLost(downFor);
    }
  };
  const timer = setInterval(check, Math.min(500, Math.max(50, options.closeAfterMs / 10)));
  return () => clearInterval(timer);
}
