/**
 * The exam-relay client SDK, for browsers and Node. It depends only on `src/protocol` (zod
 * schemas, no I/O) and web-platform APIs: WebSocket, timers, Web Crypto.
 */
export { ExamRelayClient, type ChangeStatusOptions, type ClientStatus } from './client.js';
export type { StatusTarget } from './request-frame.js';
export type { ExamRelayClientOptions } from './options.js';
export type { BackoffOptions } from './options.js';
export type {
  AckEvent,
  ConnectedEvent,
  DisconnectedEvent,
  ExamRelayClientEvents,
  PresenceData,
  ResyncEvent,
  SnapshotData,
  StatusEvent,
  StatusChangeEvent,
  UnauthorizedEvent,
  WelcomeData,
} from './events.js';
export type { AckData } from './request-queue.js';
export {
  ClientClosedError,
  ConnectError,
  ExamRelayError,
  ProtocolError,
  RequestError,
  RequestTimeoutError,
  TokenError,
  type LocalErrorCode,
} from './errors.js';
export type {
  SocketCloseEvent,
  SocketMessageEvent,
  WebSocketConstructor,
  WebSocketLike,
} from './websocket.js';
export type { ErrorCode } from '../protocol/codes.js';
export type { ExamineeStatus, Role } from '../protocol/common.js';
export type { StatusChangeData } from '../protocol/server-frame.js';
