import { readFileSync, readdirSync } from 'node:fs';

/** Linux `USER_HZ`: /proc/<pid>/stat counts CPU time in these ticks (100 on every usual build). */
const TICKS_PER_SECOND = 100;

/** Resident set size of a process in bytes (`VmRSS` of /proc/<pid>/status), if readable. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used so far, if readable. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 (utime) and 15 (stime) of the full line are 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Seconds a process's threads have spent runnable but waiting for a core so far (the second
 * field of each `/proc/<pid>/task/<tid>/schedstat`, in ns), if readable. On a machine whose
 * cores are all busy this is how long work waited to run, which a wall-clock timing inside the
 * process (a Redis SLOWLOG entry, say) includes.
 */
export function runQueueWaitSeconds(pid: number | 'self'): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const waited = Number(
          readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1],
        );
        if (!Number.isFinite(waited)) return undefined; // a kernel without schedstats
        ns += waited;
      } catch {
        // the thread exited meanwhile
      }
    }
    return ns / 1e9;
  } catch {
    return undefined;
  }
}

/** CPU seconds every process on the machine has used (all cores, from /proc/stat). */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...ticks] = line.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Pids whose command name is exactly `comm` (e.g. `beam.smp`, `redis-server`). */
export function pidsNamed(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // the process exited meanwhile
    }
  }
  return pids;
}

/** What one process (or group) used over a phase: CPU, and time it waited for a core. */
export interface CpuUse {
  seconds: number;
  /** seconds / wall seconds. */
  cores: number;
  /** Seconds runnable but waiting for a core (see `runQueueWaitSeconds`). */
  waitSeconds?: number;
}

/**
 * CPU used by a set of named processes between `start()` and `stop()`, as seconds and as
 * cores (seconds / wall seconds), and the time they waited for a core. The bench process
 * itself is counted by `process.cpuUsage`.
 */
export class CpuMeter {
  private startWall = 0;
  private startCpu = new Map<string, Sample>();

  constructor(private readonly pids: Record<string, number[]>) {}

  start(): void {
    this.startWall = performance.now();
    this.startCpu = this.sample();
  }

  stop(): Record<string, CpuUse> {
    const wall = (performance.now() - this.startWall) / 1000;
    const end = this.sample();
    const result: Record<string, CpuUse> = {};
    const hundredths = (v: number) => Math.round(v * 100) / 100;
    for (const [name, value] of end) {
      const before = this.startCpu.get(name) ?? value;
      const seconds = value.cpu - before.cpu;
      const use: CpuUse = { seconds: hundredths(seconds), cores: hundredths(seconds / wall) };
      if (value.wait !== undefined && before.wait !== undefined)
        use.waitSeconds = hundredths(value.wait - before.wait);
      result[name] = use;
    }
    return result;
  }

  private sample(): Map<string, Sample> {
    const out = new Map<string, Sample>();
    // Everyone's CPU, this benchmark's and other users' of the machine alike.
    const machine = machineBusySeconds();
    if (machine !== undefined) out.set('machine', { cpu: machine });
    const self = process.cpuUsage();
    out.set('bench', { cpu: (self.user + self.system) / 1e6, wait: runQueueWaitSeconds('self') });
    for (const [name, pids] of Object.entries(this.pids)) {
      let cpu = 0;
      let wait: number | undefined = 0;
      let seen = false;
      for (const pid of pids) {
        const s = cpuSeconds(pid);
        if (s === undefined) continue;
        cpu += s;
        seen = true;
        const w = runQueueWaitSeconds(pid);
        wait = w === undefined || wait === undefined ? undefined : wait + w;
      }
      if (seen) out.set(name, { cpu, wait });
    }
    return out;
  }
}

interface Sample {
  cpu: number;
  wait?: number;
}
