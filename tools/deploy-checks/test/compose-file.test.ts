import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
  type ComposeService,
  dotenvVariableNames,
  durationSeconds,
  interpolateAll,
  readComposeFile,
  resolvedEnvironment,
} from './helpers/compose';
import { composeSchemaProblems } from './helpers/compose-schema';
import {
  configModulePath,
  environmentProblems,
  listServices,
  loadServiceShape,
  repositoryRoot,
  serviceOfCommand,
} from './helpers/services';

const compose = readComposeFile();
const services = Object.entries(compose.services);
/** Compose services that run one of our services, keyed by Compose name. */
const appServices = services.filter(([, service]) => serviceOfCommand(service.command) !== undefined);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) {
    throw new Error(`docker-compose.yml has no service "${name}"`);
  }
  return found;
}

function hasDockerCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

describe('docker-compose.yml validation', () => {
  // CI installs Debian's docker-compose (see .ci/run); elsewhere it is optional.
  const runIt = hasDockerCompose() || process.env.CI !== undefined ? test : test.skip;

  runIt('passes docker-compose config', () => {
    // An empty env file, so a developer's .env cannot hide a missing default.
    const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'compose-env-')), 'empty.env');
    writeFileSync(emptyEnvFile, '');
    const result = spawnSync(
      'docker-compose',
      ['--env-file', emptyEnvFile, '-f', 'docker-compose.yml', 'config', '-q'],
      {
        cwd: repositoryRoot,
        encoding: 'utf8',
      },
    );
    rmSync(dirname(emptyEnvFile), { recursive: true, force: true });

    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('docker-compose.yml schema', () => {
  test('matches the Compose Specification', () => {
    expect(composeSchemaProblems(interpolateAll(compose))).toEqual([]);
  });

  test('schema rejects an unknown key', () => {
    const broken = interpolateAll(compose);
    (broken.services.api as Record<string, unknown>).stop_grace = '35s';

    expect(composeSchemaProblems(broken)).toEqual(['/services/api must NOT have additional properties']);
  });
});

describe('docker-compose.yml policies', () => {
  test('deploys every service of the repository', () => {
    const deployed = appServices.map(([, service]) => serviceOfCommand(service.command));

    for (const name of listServices()) {
      expect(deployed).toContain(name);
    }
  });

  test('app services share one image', () => {
    const images = new Set(appServices.map(([, service]) => service.image));

    expect(images.size).toBe(1);
    for (const [, service] of appServices) {
      expect(service.build).toBe('.');
    }
  });

  test('redis persists with AOF on a volume', () => {
    const redis = service('redis');

    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.volumes?.some((volume) => volume.endsWith(':/data'))).toBe(true);
    expect(redis.healthcheck?.test).toEqual(expect.arrayContaining(['redis-cli', 'ping']));
  });

  test('every service has a health check', () => {
    for (const [name, service] of services) {
      expect({ name, hasTest: (service.healthcheck?.test?.length ?? 0) > 1 }).toEqual({ name, hasTest: true });
    }
  });

  test('dependencies wait for healthy services', () => {
    for (const [name, service] of appServices) {
      const dependsOn = Object.entries(service.depends_on ?? {});

      expect({ name, dependsOnRedis: service.depends_on?.redis !== undefined }).toEqual({ name, dependsOnRedis: true });
      for (const [dependency, { condition }] of dependsOn) {
        expect({ name, dependency, condition }).toEqual({ name, dependency, condition: 'service_healthy' });
      }
    }
  });

  test('every service has a restart policy', () => {
    for (const [name, service] of services) {
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
  });

  test('grace periods exceed shutdown timeouts', () => {
    for (const [name, service] of appServices) {
      const timeoutSeconds = Number(resolvedEnvironment(service).SHUTDOWN_TIMEOUT_MS) / 1000;
      const graceSeconds = durationSeconds(service.stop_grace_period ?? '10s');

      expect({ name, timeoutSeconds }).toEqual({ name, timeoutSeconds: expect.any(Number) });
      expect({ name, graceExceedsTimeout: graceSeconds > timeoutSeconds }).toEqual({
        name,
        graceExceedsTimeout: true,
      });
    }
  });

  test('worker runs two scalable replicas', () => {
    const worker = service('worker');

    expect(worker.deploy?.replicas).toBe(2);
    // A fixed container name or host port would make `--scale worker=N` fail.
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  test('api publishes its port', () => {
    const api = service('api');
    const port = resolvedEnvironment(api).API_PORT;

    expect(api.ports?.map((mapping) => mapping.split(':').at(-1))).toContain(port);
  });

  test('worker sends e-mail to the mail catcher', () => {
    const mailpit = service('mailpit');
    const smtpUrl = new URL(resolvedEnvironment(service('worker')).SMTP_URL ?? '');

    expect(smtpUrl.hostname).toBe('mailpit');
    expect(smtpUrl.port).toBe('1025');
    expect(mailpit.ports?.map((mapping) => mapping.split(':').at(-1))).toContain('8025');
  });

  test('api and worker share the media volume', () => {
    for (const name of ['api', 'worker']) {
      const mediaDir = resolvedEnvironment(service(name)).MEDIA_DIR;

      expect({ name, mounts: service(name).volumes }).toEqual({
        name,
        mounts: expect.arrayContaining([`media:${mediaDir}`]),
      });
    }
    expect(Object.keys(compose.volumes ?? {})).toContain('media');
  });

  test('sets every .env.example variable', () => {
    const set = new Set(appServices.flatMap(([, service]) => Object.keys(service.environment ?? {})));
    const missing = dotenvVariableNames(join(repositoryRoot, '.env.example')).filter((name) => !set.has(name));

    expect(missing).toEqual([]);
  });

  test('defaults resolve without a .env file', () => {
    for (const [, service] of appServices) {
      expect(() => resolvedEnvironment(service)).not.toThrow();
    }
  });
});

describe('docker-compose.yml variables per service', () => {
  for (const [composeName, composeService] of appServices) {
    const name = serviceOfCommand(composeService.command)!;
    const hasConfig = existsSync(configModulePath(name));
    const title = hasConfig
      ? `sets every variable ${name} reads`
      : `sets every variable ${name} reads (skipped: services/${name}/src/config.ts does not exist yet)`;

    (hasConfig ? test : test.skip)(title, () => {
      const shape = loadServiceShape(name)!;

      expect({
        service: composeName,
        problems: environmentProblems(shape, resolvedEnvironment(composeService)),
      }).toEqual({ service: composeName, problems: [] });
    });
  }
});
