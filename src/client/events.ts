import type { Presence, Snapshot, StatusChangeData, Welcome } from '../protocol/server-frame.js';
import type { ExamRelayError } from './errors.js';
import type { AckData } from './request-queue.js';

/** What the server said about this connection: who the client is and where it resumes. */
export type WelcomeData = Welcome['data'];

/** One status change, emitted once per `seq`, in `seq` order. */
export interface StatusChangeEvent {
  /** Per-client sequence number: persist it and pass it as `lastSeq` to resume. */
  seq: number;
  /** The id of the request that caused the change. */
  id: string;
  data: StatusChangeData;
}

export interface AckEvent {
  id: string;
  data: AckData;
}

export type PresenceData = Presence['data'];

/** The exam as it stands (after welcome for supervisors, after any resync). */
export type SnapshotData = Snapshot['data'];

/** The client's connection state changed. */
export interface StatusEvent {
  previous: string;
  status: string;
}

/** The server's history cannot cover (fromSeq, toSeq]: fetch fresh state. */
export interface ResyncEvent {
  fromSeq: number;
  toSeq: number;
}

export interface ConnectedEvent {
  url: string;
  serverId: string;
  /** The seq the connection resumed after. */
  lastSeq: number;
}

export interface DisconnectedEvent {
  url: string;
  /** The close code the socket reported; absent when the client gave up on the socket itself. */
  code?: number;
  reason: string;
  willReconnect: boolean;
  /** When `willReconnect`: the wait before the next attempt (on the next URL). */
  delayMs?: number;
}

export interface UnauthorizedEvent {
  url: string;
  reason: string;
}

/** Events of `ExamRelayClient` and their listener arguments. */
export type ExamRelayClientEvents = {
  welcome: [data: WelcomeData];
  statusChange: [change: StatusChangeEvent];
  ack: [ack: AckEvent];
  presence: [presence: PresenceData];
  /** Error frames not answering a pending request, invalid server frames, token failures. */
  error: [error: ExamRelayError];
  resync: [range: ResyncEvent];
  /** The exam's current state: replace what you show with it. */
  snapshot: [snapshot: SnapshotData];
  /** Every change of `client.status` (old and new state), as centrifuge-js emits `state`. */
  status: [change: StatusEvent];
  connected: [info: ConnectedEvent];
  disconnected: [info: DisconnectedEvent];
  unauthorized: [info: UnauthorizedEvent];
};
