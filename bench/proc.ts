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

/**
 * CPU used by a set of named processes between `start()` and `stop()`, as seconds and as
 * cores (seconds / wall seconds). The bench process itself is counted by `process.cpuUsage`.
 */
export class CpuMeter {
  private startWall = 0;
  private startCpu = new Map<string, number>();

  constructor(private readonly pids: Record<string, number[]>) {}

  start(): void {
    this.startWall = performance.now();
    this.startCpu = this.sample();
  }

  stop(): Record<string, { seconds: number; cores: number }> {
    const wall = (performance.now() - this.startWall) / 1000;
    const end = this.sample();
    const result: Record<string, { seconds: number; cores: number }> = {};
    for (const [name, value] of end) {
      const seconds = value - (this.startCpu.get(name) ?? value);
      result[name] = {
        seconds: Math.round(seconds * 100) / 100,
        cores: Math.round((seconds / wall) * 100) / 100,
      };
    }
    return result;
  }

  private sample(): Map<string, number> {
    const out = new Map<string, number>();
    // Everyone's CPU, this benchmark's and other users' of the machine alike.
    const machine = machineBusySeconds();
    if (machine !== undefined) out.set('machine', machine);
    const self = process.cpuUsage();
    out.set('bench', (self.user + self.system) / 1e6);
    for (const [name, pids] of Object.entries(this.pids)) {
      let total = 0;
      let seen = false;
      for (const pid of pids) {
        const s = cpuSeconds(pid);
        if (s !== undefined) {
          total += s;
          seen = true;
        }
      }
      if (seen) out.set(name, total);
    }
    return out;
  }
}
