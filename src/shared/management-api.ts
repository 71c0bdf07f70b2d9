import type { z } from 'zod';
import { maskUrl } from './logger.js';

/** A management API answer: the validated value, or a reason naming the API and what went wrong. */
export type ManagementResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A small client of the RabbitMQ management HTTP API, shared by the admin (message rates) and
 * `exam-relay topology verify` (bindings, quorum members). Never throws: an unreachable,
 * failing or odd API is a `reason`, a sentence that starts with "management API".
 */
export class ManagementClient {
  /** The URL with its password masked, for messages and logs. */
  readonly shown: string;
  private readonly base: string | undefined;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  /**
   * @param url e.g. `http://guest:guest@127.0.0.1:15672`.
   * @param timeoutMs of each request. Default 1500.
   */
  constructor(
    url: string,
    private readonly timeoutMs = 1500,
  ) {
    this.shown = maskUrl(url);
    try {
      const parsed = new URL(url);
      // fetch refuses URLs with credentials; they go in the Authorization header instead.
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      parsed.username = '';
      parsed.password = '';
      this.base = parsed.toString().replace(/\/+$/, '');
      if (user) {
        const basic = Buffer.from(`${user}:${password}`).toString('base64');
        this.headers.authorization = `Basic ${basic}`;
      }
    } catch {
      this.base = undefined;
    }
  }

  /** GETs `path` (e.g. `/api/nodes`) and validates the JSON answer; a 404 is a failure. */
  async get<T>(path: string, schema: z.ZodType<T>): Promise<ManagementResult<T>> {
    const got = await this.request(path, schema);
    return got === 'missing'
      ? { ok: false, reason: `management API at ${this.shown} answered HTTP 404` }
      : got;
  }

  /** As `get`, but a 404 (say, a queue that does not exist) is `value: undefined`. */
  async find<T>(path: string, schema: z.ZodType<T>): Promise<ManagementResult<T | undefined>> {
    const got = await this.request(path, schema);
    return got === 'missing' ? { ok: true, value: undefined } : got;
  }

  private async request<T>(
    path: string,
    schema: z.ZodType<T>,
  ): Promise<ManagementResult<T> | 'missing'> {
    const shown = this.shown;
    if (this.base === undefined) {
      return { ok: false, reason: `management API URL ${shown} is not a URL` };
    }
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const message = cause instanceof Error ? cause.message : String(cause);
      return { ok: false, reason: `management API not reachable at ${shown}: ${message}` };
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return 'missing';
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, reason: `management API at ${shown} answered HTTP ${response.status}` };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return { ok: false, reason: `management API at ${shown} did not answer JSON` };
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      return { ok: false, reason: `management API at ${shown} answered an unexpected shape` };
    }
    return { ok: true, value: parsed.data };
  }
}
