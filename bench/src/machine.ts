import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** Machine and versions the numbers were measured on, for the results page. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  bullmq: string;
}

export function describeMachine(): MachineInfo {
  const redisVersion =
    execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown';
  const bullmq = (require('bullmq/package.json') as { version: string }).version;
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion,
    bullmq,
  };
}
