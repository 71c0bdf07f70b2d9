import type { Role } from '../src/protocol/index.js';

/** What a connected client hands back to the scenario that watches it. */
export interface ClientHooks {
  /** A `status_change` with this request id reached the client. */
  change(clientId: string, id: string, at: number): void;
  /** The server welcomed the client; `status` is its current status as the server says it. */
  welcome(clientId: string, status: WelcomeStatus | null, at: number): void;
  /** The socket closed without the bench asking. */
  closed(clientId: string, code: number): void;
}

export interface WelcomeStatus {
  status?: string;
  supervisorId?: string;
  timestamp?: string;
  /** The request id, where the system keeps it (the Socket.IO peer does, exam-relay does not). */
  id?: string;
}

export interface FleetClient {
  readonly clientId: string;
  close(): Promise<void>;
}

export interface FleetSupervisor extends FleetClient {
  /** Sends a status change; resolves at the ack with its `performance.now()` time. */
  change(
    id: string,
    data: { targetExamineeId: string; status: string } | { examId: string; status: string },
  ): Promise<number>;
}

/** Seq checks of every frame the fleet's clients received (exam-relay only; zero expected). */
export interface Integrity {
  /** A frame with a seq at or below one already seen, and an id already seen. */
  duplicated: number;
  /** A seq at or below the last seen, with a new id. */
  reordered: number;
  /** A seq more than one past the last seen (a frame skipped). */
  gaps: number;
  /** `resync` frames (the client's numbering was reset; not a fault in itself). */
  resyncs: number;
}

/**
 * A system's clients, as the connect storm, the exam-wide change and the failover storm use
 * them. exam-relay's speak SPEC §5 over `ws`; the Socket.IO peer's use socket.io-client.
 */
export interface Fleet {
  readonly name: string;
  examinee(
    port: number,
    clientId: string,
    examId: string,
    hooks: ClientHooks,
    options?: { resume?: boolean },
  ): Promise<FleetClient>;
  supervisor(port: number, clientId: string, examId: string): Promise<FleetSupervisor>;
  readonly integrity: Integrity;
}

export type { Role };
