import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Services in start order; a service whose directory is missing is skipped. */
const SERVICE_ORDER = ['api', 'worker', 'scheduler', 'cache-invalidator', 'realtime'] as const;

/** Services that serve /healthz, /readyz and /metrics on their own port rather than on OPS_PORT. */
const OWN_PORT_SERVICES: ReadonlySet<string> = new Set(['api', 'realtime']);

export interface LocalService {
  name: string;
  /** Compiled entry point, relative to the repository root. */
  entry: string;
  /** Whether the service reads OPS_PORT for its ops endpoints. */
  usesOpsPort: boolean;
}

/** Services of this checkout that have a compiled entry point. */
export function findServices(root: string): LocalService[] {
  return SERVICE_ORDER.filter((name) => {
    const manifest = join(root, 'services', name, 'package.json');
    if (!existsSync(manifest)) {
      return false;
    }
    const { scripts } = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
    return scripts?.start !== undefined;
  }).map((name) => ({
    name,
    entry: join('services', name, 'dist', 'main.js'),
    usesOpsPort: !OWN_PORT_SERVICES.has(name),
  }));
}
