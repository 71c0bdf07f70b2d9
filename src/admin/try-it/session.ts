import { z } from 'zod';
import { ClientId, ExamId, Role } from '../../protocol/common.js';

/**
 * What `GET /try/api/session?as=E001[&server=serverB]` answers (dev only): the identity a
 * try-it page acts as, a fresh token for it, and the socket servers to use, in order (the
 * page's own server first, then the others for failover). Written by ./index.ts, parsed by the
 * pages (src/admin/ui/try/).
 */
export const TrySession = z.strictObject({
  clientId: ClientId,
  role: Role,
  examId: ExamId,
  token: z.string().min(1),
  urls: z.array(z.string().regex(/^wss?:\/\//)).min(1),
  /** The exam's demo examinees, so a supervisor sees rows before they first connect. */
  roster: z.array(ClientId),
});
export type TrySession = z.infer<typeof TrySession>;

/** The path of the session endpoint. */
export const TRY_SESSION_PATH = '/try/api/session';
