/** WebSocket close codes the socket server uses. */
export const CloseCode = {
  /** The server is shutting down; reconnect elsewhere. */
  GOING_AWAY: 1001,
  /** Policy violation: a persistent abuser. */
  POLICY_VIOLATION: 1008,
  /** Frame larger than MAX_FRAME_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Internal error. */
  INTERNAL: 1011,
  /** The server lost its broker: reconnect to another server. */
  SERVICE_RESTART: 1012,
  /** The server cannot serve right now (broker or Redis down); reconnect later. */
  TRY_AGAIN_LATER: 1013,
  /** No valid `hello` first, or a bad, expired or missing token. */
  UNAUTHORIZED: 4401,
  /** The client reads too slowly; its send buffer kept growing. */
  SLOW_CONSUMER: 4408,
  /** A newer socket of the same client id took this one's place. */
  REPLACED: 4409,
  /** Kept sending after being rate limited. */
  RATE_LIMITED: 4429,
} as const;

/** `error` frame codes and the only messages clients ever see for them. */
export const ErrorCode = {
  INVALID_MESSAGE: 'the frame is not a valid message',
  UNAUTHORIZED: 'not authenticated',
  FORBIDDEN: 'not allowed',
  RATE_LIMITED: 'too many messages; slow down',
  UNAVAILABLE: 'temporarily unavailable; retry with the same id',
  INTERNAL: 'internal error',
} as const;

export type ErrorCode = keyof typeof ErrorCode;
