/** The socket server's settings (from the environment in `main.ts`, or from a test). */
export interface SocketServerConfig {
  serverId: string;
  port: number;
  /** Default 0.0.0.0. */
  host?: string;
  authSecret: string;
  heartbeatIntervalMs: number;
  confirmTimeoutMs: number;
  maxFrameBytes: number;
  maxConnections: number;
  maxSocketsPerClient: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Allowed Origin header values; empty allows any. */
  allowedOrigins: string[];
  /** Time allowed for the `hello` frame. Default 10000. */
  helloTimeoutMs?: number;
  /** Cut off from the broker this long, the server sheds its clients (1012). Default 10000. */
  brokerLostCloseMs?: number;
}
