import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

import { repositoryRoot } from './services';

/** A rendered Kubernetes object; the checks read only the fields they need. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects are checked field by field against their schemas elsewhere.
  spec?: any;
  data?: Record<string, string>;
}

export const checksRoot = join(repositoryRoot, 'tools', 'deploy-checks');

/** Overlays under k8s/overlays, such as dev and prod. */
export function listOverlays(): string[] {
  return readdirSync(join(repositoryRoot, 'k8s', 'overlays')).sort();
}

/**
 * Renders an overlay with `kubectl kustomize`. The overlay is rendered from a
 * copy of k8s/ in which every secret file that exists only as its
 * `.example` is filled from that example, as a deployment job would fill it
 * from a secret store. The repository itself contains no real secrets.
 */
export function renderOverlay(overlay: string): KubeObject[] {
  const workDir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  try {
    const copy = join(workDir, 'k8s');
    cpSync(join(repositoryRoot, 'k8s'), copy, { recursive: true });
    const secretsDir = join(copy, 'overlays', overlay, 'secrets');
    if (existsSync(secretsDir)) {
      for (const file of readdirSync(secretsDir).filter((name) => name.endsWith('.env.example'))) {
        const target = join(secretsDir, file.replace(/\.example$/, ''));
        if (!existsSync(target)) {
          cpSync(join(secretsDir, file), target);
        }
      }
    }
    let output: string;
    try {
      output = execFileSync('kubectl', ['kustomize', join(copy, 'overlays', overlay)], {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('kubectl was not found on PATH; the k8s checks render overlays with `kubectl kustomize`.');
      }
      throw error;
    }
    return parseAllDocuments(output)
      .map((document) => document.toJS() as KubeObject | null)
      .filter((object): object is KubeObject => object !== null);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function objectsOfKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function findObject(objects: KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/** Data of a ConfigMap or Secret as strings; Secret data is base64-decoded. */
export function objectData(object: KubeObject): Record<string, string> {
  const data = object.data ?? {};
  if (object.kind !== 'Secret') {
    return { ...data };
  }
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: a container spec as rendered.
type Container = any;

/**
 * Environment a container gets from `envFrom` and `env`, in Kubernetes'
 * order (later entries win), with ConfigMap and Secret references resolved
 * against the rendered objects. Unresolved references are returned as
 * problems instead of values.
 */
export function containerEnvironment(
  objects: KubeObject[],
  container: Container,
): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];

  for (const source of container.envFrom ?? []) {
    const kind = source.configMapRef !== undefined ? 'ConfigMap' : 'Secret';
    const name = (source.configMapRef ?? source.secretRef).name as string;
    const target = findObject(objects, kind, name);
    if (target === undefined) {
      problems.push(`envFrom refers to ${kind} "${name}", which the overlay does not define`);
      continue;
    }
    Object.assign(env, objectData(target));
  }

  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = String(variable.value);
      continue;
    }
    const reference = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    const kind = variable.valueFrom?.configMapKeyRef !== undefined ? 'ConfigMap' : 'Secret';
    const target = reference === undefined ? undefined : findObject(objects, kind, reference.name);
    const value = target === undefined ? undefined : objectData(target)[reference.key];
    if (value === undefined) {
      problems.push(`${variable.name} refers to a missing ${kind} key`);
      continue;
    }
    env[variable.name] = value;
  }
  return { env, problems };
}

/** Module and interface that type an object, such as `kubernetes-models/apps/v1` and `IDeployment`. */
function typeSource(object: KubeObject): { module: string; type: string } {
  const module = object.apiVersion.startsWith('keda.sh/')
    ? `@kubernetes-models/keda/${object.apiVersion}`
    : `kubernetes-models/${object.apiVersion}`;
  return { module, type: `I${object.kind}` };
}

/**
 * Type-checks every object as an object literal annotated with its
 * kubernetes-models interface, so TypeScript's excess property check reports
 * any field the schema does not define (the runtime validators accept
 * unknown fields). Returns the compiler's messages, empty when all objects
 * type-check.
 */
export function typeCheckObjects(objects: KubeObject[]): string[] {
  const scratch = join(checksRoot, '.typecheck');
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(join(scratch, 'objects-'));
  try {
    const imports = new Map<string, Set<string>>();
    for (const object of objects) {
      const { module, type } = typeSource(object);
      imports.set(module, (imports.get(module) ?? new Set()).add(type));
    }
    const lines = [...imports].map(([module, types]) => `import type { ${[...types].join(', ')} } from '${module}';`);

    // First line of each object in the file, to name the object in each error.
    const starts: { line: number; label: string }[] = [];
    objects.forEach((object, index) => {
      starts.push({ line: lines.length + 1, label: `${object.kind} ${object.metadata.name}` });
      lines.push(
        ...`export const object${index}: ${typeSource(object).type} = ${JSON.stringify(object, null, 2)};`.split('\n'),
      );
    });
    writeFileSync(join(dir, 'objects.mts'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['objects.mts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    if (result.status === 0) {
      return [];
    }
    return `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const lineNumber = Number(/objects\.mts\((\d+),/.exec(line)?.[1] ?? Number.NaN);
        const owner = starts.filter((start) => start.line <= lineNumber).at(-1);
        return owner === undefined ? line : `${owner.label}: ${line.replace(/^.*?error /, 'error ')}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Problems that the schema validators of kubernetes-models report for
 * `objects`. kustomize wraps long base64 Secret values over several lines,
 * which the API server's decoder accepts and the validator's `byte` format
 * does not, so line breaks are removed from Secret data first.
 */
export function validateObjects(objects: KubeObject[]): string[] {
  const script = join(checksRoot, 'scripts', 'validate-models.mjs');
  const unwrapped = objects.map((object) =>
    object.kind === 'Secret' && object.data !== undefined
      ? {
          ...object,
          data: Object.fromEntries(Object.entries(object.data).map(([key, value]) => [key, value.replace(/\s+/g, '')])),
        }
      : object,
  );
  const output = execFileSync(process.execPath, [script], {
    input: JSON.stringify(unwrapped),
    encoding: 'utf8',
    cwd: checksRoot,
  });
  return JSON.parse(output) as string[];
}
