import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoleProcess } from '../test/helpers/processes.js';
import { Inspector } from './inspector.js';
import { rssBytes } from './proc.js';

/** One reading of a process: RSS as found, then RSS and V8's used heap right after a full GC. */
export interface MemoryReading {
  rssBytes: number | undefined;
  rssAfterGcBytes: number | undefined;
  heapAfterGcBytes: number | undefined;
}

export interface ProcessMemory {
  connections: number;
  /** Before any client connected. */
  start: MemoryReading;
  /** With every client connected, before any load. */
  idle: MemoryReading;
  /** After the last phase. */
  after: MemoryReading;
  /** (idle − start) / connections, of RSS and of the heap, both after GC. */
  rssPerConnection: number | undefined;
  heapPerConnection: number | undefined;
}

/** Reads RSS and post-GC heap of a set of processes at named moments; can CPU-profile them. */
export class RoleProbe {
  private constructor(
    private readonly procs: Map<string, { proc: RoleProcess; inspector: Inspector | undefined }>,
  ) {}

  static async attach(processes: Map<string, RoleProcess>): Promise<RoleProbe> {
    const procs = new Map<string, { proc: RoleProcess; inspector: Inspector | undefined }>();
    for (const [name, proc] of processes) {
      const inspector = await Inspector.attach(proc).catch((err: unknown) => {
        console.warn(`  no inspector for ${name} (${String(err)}): heap after GC not measured`);
        return undefined;
      });
      procs.set(name, { proc, inspector });
    }
    return new RoleProbe(procs);
  }

  async read(): Promise<Record<string, MemoryReading>> {
    const out: Record<string, MemoryReading> = {};
    for (const [name, { proc, inspector }] of this.procs) {
      const pid = proc.child.pid;
      const rss = () => (pid === undefined ? undefined : rssBytes(pid));
      // As found first: the forced GC shrinks it.
      const asFound = rss();
      const heap = await inspector?.heapUsedAfterGc();
      out[name] = { rssBytes: asFound, rssAfterGcBytes: rss(), heapAfterGcBytes: heap };
    }
    return out;
  }

  /** Starts the V8 CPU profiler in every process (bench/inspector.ts). */
  async startProfiling(): Promise<void> {
    for (const { inspector } of this.procs.values()) await inspector?.startProfiling();
  }

  /** Stops the profilers and writes `<dir>/<process>.cpuprofile`; returns the paths. */
  async stopProfiling(dir: string): Promise<string[]> {
    mkdirSync(dir, { recursive: true });
    const paths: string[] = [];
    for (const [name, { inspector }] of this.procs) {
      const profile = await inspector?.stopProfiling();
      if (profile === undefined) continue;
      const path = join(dir, `${name}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      paths.push(path);
    }
    return paths;
  }

  close(): void {
    for (const { inspector } of this.procs.values()) inspector?.close();
  }
}

export function summarizeMemory(
  readings: { start: MemoryReading; idle: MemoryReading; after: MemoryReading },
  connections: number,
): ProcessMemory {
  const per = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && connections > 0
      ? Math.round((b - a) / connections)
      : undefined;
  return {
    connections,
    ...readings,
    rssPerConnection: per(readings.start.rssAfterGcBytes, readings.idle.rssAfterGcBytes),
    heapPerConnection: per(readings.start.heapAfterGcBytes, readings.idle.heapAfterGcBytes),
  };
}
