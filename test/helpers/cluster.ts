import { signToken, type Role } from '../../src/protocol/index.js';
import { randomNamespace } from './env.js';
import {
  TEST_SECRET,
  cleanNamespace,
  declareTopology,
  freePort,
  roleEnv,
  startRole,
  startServer,
  type RoleProcess,
} from './processes.js';
import { TestClient } from './ws-client.js';

/** A real cluster of `exam-relay` processes in its own namespace. */
export class Cluster {
  readonly servers = new Map<string, { process: RoleProcess; port: number }>();
  readonly stateManagers: RoleProcess[] = [];
  /** What `login` opened and `keep` was given, closed by `closeClients()` and `stop()`. */
  private readonly clients: TestClient[] = [];
  protected constructor(
    readonly namespace: string,
    readonly extraEnv: Record<string, string>,
  ) {}

  /** Declares the topology, starts `stateManagers` workers and the named servers. */
  static async start(
    options: { servers?: string[]; stateManagers?: number; env?: Record<string, string> } = {},
  ): Promise<Cluster> {
    const cluster = new Cluster(randomNamespace(), options.env ?? {});
    await declareTopology(cluster.env());
    for (let i = 0; i < (options.stateManagers ?? 1); i++) await cluster.startStateManager();
    for (const id of options.servers ?? ['serverA', 'serverB']) await cluster.startServer(id);
    return cluster;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return roleEnv({ namespace: this.namespace, extra: { ...this.extraEnv, ...extra } });
  }

  async startStateManager(extra: Record<string, string> = {}): Promise<RoleProcess> {
    const sm = startRole('state-manager', ['state-manager'], this.env(extra));
    await sm.waitForLog((l) => l.msg === 'state manager consuming');
    this.stateManagers.push(sm);
    return sm;
  }

  /** Starts a socket server; `extra` overrides its environment (e.g. an AMQP_URL via a proxy). */
  async startServer(
    id: string,
    port?: number,
    extra: Record<string, string> = {},
  ): Promise<{ process: RoleProcess; port: number }> {
    const entry = await startServer(id, port ?? (await freePort()), this.env(extra));
    this.servers.set(id, entry);
    return entry;
  }

  port(serverId: string): number {
    const entry = this.servers.get(serverId);
    if (!entry) throw new Error(`no server ${serverId}`);
    return entry.port;
  }

  token(clientId: string, role: Role, examId = 'EXAM1', ttlSeconds = 3600): Promise<string> {
    return signToken(TEST_SECRET, { clientId, role, examId }, ttlSeconds);
  }

  /**
   * A test client welcomed on `server` as `clientId`, with a token for exam EXAM1 unless
   * `examId`, resuming after `resume` when given.
   */
  async login(
    server: string,
    clientId: string,
    role: Role,
    options: { examId?: string; resume?: number } = {},
  ): Promise<TestClient> {
    const token = await this.token(clientId, role, options.examId);
    return this.keep(await TestClient.login(this.port(server), token, options.resume));
  }

  /** Has `client` closed with the ones `login` opened. */
  keep(client: TestClient): TestClient {
    this.clients.push(client);
    return client;
  }

  /** Closes every client `login` opened or `keep` was given. */
  closeClients(): void {
    for (const c of this.clients.splice(0)) c.close();
  }

  /**
   * Closes the test clients, stops every process and deletes what the namespace left on the
   * broker and in Redis.
   */
  async stop(): Promise<void> {
    this.closeClients();
    await Promise.allSettled([...this.servers.values()].map((s) => s.process.stop()));
    await Promise.allSettled(this.stateManagers.map((s) => s.stop()));
    await cleanNamespace(this.namespace, this.servers.keys());
  }
}
