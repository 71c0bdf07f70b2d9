import type { StatusQueueCommand } from './status-publisher.js';
import type { ServerMetrics } from './metrics.js';
import type { Session, SessionRegistry } from './session.js';
import { linkCommand } from './commands.js';

export interface DisconnectReportsDeps {
  serverId: string;
  sessions: SessionRegistry;
  metrics: ServerMetrics;
  publish(message: StatusQueueCommand): Promise<void>;
}

/**
 * What happens when a socket closes: the session leaves the registry and, after the client's
 * last socket here, a `disconnect` is published. The publishes in flight are kept so that a
 * draining server can wait for their confirms.
 */
export class DisconnectReports {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: DisconnectReportsDeps) {}

  /** A session's socket closed (the `onEnd` of the socket handler). */
  ended(session: Session): void {
    const report = this.report(session).finally(() => this.pending.delete(report));
    this.pending.add(report);
  }

  /** Resolves once every report started so far has been confirmed or has failed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async report(session: Session): Promise<void> {
    const { sessions, metrics, serverId } = this.deps;
    const link = sessions.remove(session);
    if (!link) return;
    metrics.connections.dec({ role: session.identity.role });
    if (!link.last) return;
    const { clientId, role, examId } = session.identity;
    const info = { clientId, role, examId, connId: link.connId };
    await this.deps
      .publish(linkCommand(serverId, 'disconnect', info, new Date().toISOString()))
      .catch((err: unknown) => {
        // The next heartbeat reconciles it: this server no longer lists the client.
        session.log.warn({ err }, 'disconnect not reported');
      });
  }
}
