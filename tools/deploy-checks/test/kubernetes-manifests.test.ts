import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { queueNames } from '@backbone/contracts';

import {
  containerEnvironment,
  findObject,
  type KubeObject,
  listOverlays,
  objectData,
  objectsOfKind,
  renderOverlay,
  typeCheckObjects,
  validateObjects,
} from './helpers/kubernetes';
import {
  configModulePath,
  environmentProblems,
  listServices,
  loadServiceShape,
  repositoryRoot,
  serviceOfCommand,
} from './helpers/services';

// biome-ignore lint/suspicious/noExplicitAny: pod templates and containers as rendered.
type Any = any;

/** Deployments and StatefulSets with their pod spec. */
function workloads(objects: KubeObject[]): KubeObject[] {
  return objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');
}

/** Containers of our services, with the workload that runs them. */
function serviceContainers(objects: KubeObject[]): { workload: KubeObject; container: Any; service: string }[] {
  return objectsOfKind(objects, 'Deployment').flatMap((workload) =>
    (workload.spec.template.spec.containers as Any[])
      .map((container) => ({ workload, container, service: serviceOfCommand(container.command) }))
      .filter(
        (entry): entry is { workload: KubeObject; container: Any; service: string } => entry.service !== undefined,
      ),
  );
}

function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** Name that kustomize gives a generated ConfigMap or Secret: the name, a dash and a ten-character hash. */
const HASHED_NAME = /-[a-z0-9]{10}$/;

/** Pattern a trigger name must follow to be a variable in KEDA's scalingModifiers formula. */
const TRIGGER_NAME = /^[a-z][a-z0-9_]*$/;

describe.each(listOverlays())('k8s overlay %s', (overlay) => {
  let objects: KubeObject[];

  beforeAll(() => {
    objects = renderOverlay(overlay);
  });

  describe('schemas', () => {
    test('objects match the Kubernetes and KEDA schemas', () => {
      expect(validateObjects(objects)).toEqual([]);
    });

    test('objects have no unknown fields', () => {
      expect(typeCheckObjects(objects)).toEqual([]);
    });
  });

  describe('workloads', () => {
    test('deploys every service of the repository', () => {
      const deployed = serviceContainers(objects).map((entry) => entry.service);

      for (const service of listServices()) {
        expect(deployed).toContain(service);
      }
    });

    test('services run the one image', () => {
      const images = new Set(serviceContainers(objects).map((entry) => entry.container.image));

      expect(images.size).toBe(1);
    });

    test('every container has both probes', () => {
      for (const workload of workloads(objects)) {
        for (const container of workload.spec.template.spec.containers as Any[]) {
          const id = `${workload.metadata.name}/${container.name}`;

          expect({ id, readiness: container.readinessProbe !== undefined }).toEqual({ id, readiness: true });
          expect({ id, liveness: container.livenessProbe !== undefined }).toEqual({ id, liveness: true });
        }
      }
    });

    test('every container has requests and limits', () => {
      for (const workload of workloads(objects)) {
        for (const container of workload.spec.template.spec.containers as Any[]) {
          const id = `${workload.metadata.name}/${container.name}`;
          const { requests = {}, limits = {} } = container.resources ?? {};

          expect({ id, requests: Object.keys(requests).sort() }).toEqual({ id, requests: ['cpu', 'memory'] });
          expect({ id, limits: Object.keys(limits).sort() }).toEqual({ id, limits: ['cpu', 'memory'] });
        }
      }
    });

    test('every container runs as non-root', () => {
      for (const workload of workloads(objects)) {
        const pod = workload.spec.template.spec.securityContext ?? {};
        for (const container of workload.spec.template.spec.containers as Any[]) {
          const id = `${workload.metadata.name}/${container.name}`;
          const own = container.securityContext ?? {};
          const runAsNonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
          const runAsUser = own.runAsUser ?? pod.runAsUser;

          expect({ id, runAsNonRoot }).toEqual({ id, runAsNonRoot: true });
          expect({ id, nonZeroUser: typeof runAsUser === 'number' && runAsUser > 0 }).toEqual({
            id,
            nonZeroUser: true,
          });
          expect({ id, escalation: own.allowPrivilegeEscalation }).toEqual({ id, escalation: false });
          expect({ id, capabilities: own.capabilities?.drop }).toEqual({ id, capabilities: ['ALL'] });
        }
      }
    });

    test('root filesystems are read-only', () => {
      for (const workload of workloads(objects)) {
        for (const container of workload.spec.template.spec.containers as Any[]) {
          const id = `${workload.metadata.name}/${container.name}`;

          expect({ id, readOnly: container.securityContext?.readOnlyRootFilesystem }).toEqual({ id, readOnly: true });
        }
      }
    });

    test('grace periods exceed shutdown timeouts', () => {
      for (const { workload, container } of serviceContainers(objects)) {
        const { env } = containerEnvironment(objects, container);
        const timeoutSeconds = Number(env.SHUTDOWN_TIMEOUT_MS) / 1000;
        const graceSeconds = workload.spec.template.spec.terminationGracePeriodSeconds ?? 30;
        const id = workload.metadata.name;

        expect({ id, timeoutSeconds }).toEqual({ id, timeoutSeconds: expect.any(Number) });
        expect({ id, graceExceedsTimeout: graceSeconds > timeoutSeconds }).toEqual({ id, graceExceedsTimeout: true });
      }
    });

    test('scheduler runs one replica', () => {
      expect(findObject(objects, 'Deployment', 'scheduler')?.spec.replicas).toBe(1);
    });
  });

  describe('references', () => {
    test('environment sources resolve', () => {
      for (const { workload, container } of serviceContainers(objects)) {
        const id = workload.metadata.name;

        expect({ id, problems: containerEnvironment(objects, container).problems }).toEqual({ id, problems: [] });
      }
    });

    test('generated names carry hash suffixes', () => {
      const generated = [...objectsOfKind(objects, 'ConfigMap'), ...objectsOfKind(objects, 'Secret')];

      for (const object of generated) {
        expect(object.metadata.name).toMatch(HASHED_NAME);
      }
    });

    test('volumes refer to existing claims', () => {
      for (const workload of workloads(objects)) {
        for (const volume of (workload.spec.template.spec.volumes ?? []) as Any[]) {
          const claim = volume.persistentVolumeClaim?.claimName;
          if (claim !== undefined) {
            expect({ claim, found: findObject(objects, 'PersistentVolumeClaim', claim) !== undefined }).toEqual({
              claim,
              found: true,
            });
          }
        }
      }
    });

    test('services select pods and ports', () => {
      for (const service of objectsOfKind(objects, 'Service')) {
        const pods = workloads(objects).filter((workload) =>
          selectorMatches(service.spec.selector, workload.spec.template.metadata.labels),
        );
        const portNames = pods.flatMap((pod) =>
          (pod.spec.template.spec.containers as Any[]).flatMap((container) =>
            (container.ports ?? []).map((port: Any) => port.name),
          ),
        );
        const id = service.metadata.name;

        expect({ id, pods: pods.length }).toEqual({ id, pods: 1 });
        for (const port of service.spec.ports as Any[]) {
          expect({ id, targetPort: port.targetPort, known: portNames.includes(port.targetPort) }).toEqual({
            id,
            targetPort: port.targetPort,
            known: true,
          });
        }
      }
    });

    test('ingress routes to the api service', () => {
      const ingress = findObject(objects, 'Ingress', 'api');
      const backends = ((ingress?.spec.rules ?? []) as Any[]).flatMap((rule) =>
        (rule.http.paths as Any[]).map((path) => path.backend.service),
      );

      expect(backends.length).toBeGreaterThan(0);
      for (const backend of backends) {
        const service = findObject(objects, 'Service', backend.name);

        expect(service).toBeDefined();
        expect(((service?.spec.ports ?? []) as Any[]).map((port) => port.name)).toContain(backend.port.name);
      }
    });

    test('api has an autoscaler and a disruption budget', () => {
      const autoscaler = findObject(objects, 'HorizontalPodAutoscaler', 'api');

      expect(autoscaler?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' });
      expect(findObject(objects, 'Deployment', 'api')).toBeDefined();
      expect(findObject(objects, 'PodDisruptionBudget', 'api')).toBeDefined();
    });

    test('disruption budgets select api and worker pods', () => {
      for (const name of ['api', 'worker']) {
        const budget = findObject(objects, 'PodDisruptionBudget', name);
        const deployment = findObject(objects, 'Deployment', name);

        expect({
          name,
          matches: selectorMatches(budget?.spec.selector.matchLabels, deployment?.spec.template.metadata.labels),
        }).toEqual({
          name,
          matches: true,
        });
      }
    });

    test('KEDA objects refer to existing targets', () => {
      const scaledObject = findObject(objects, 'ScaledObject', 'worker')!;

      expect(findObject(objects, 'Deployment', scaledObject.spec.scaleTargetRef.name)).toBeDefined();
      for (const trigger of scaledObject.spec.triggers as Any[]) {
        const auth = findObject(objects, 'TriggerAuthentication', trigger.authenticationRef.name);

        expect(auth).toBeDefined();
        for (const reference of (auth?.spec.secretTargetRef ?? []) as Any[]) {
          const secret = findObject(objects, 'Secret', reference.name);

          expect({ reference: reference.name, found: secret !== undefined }).toEqual({
            reference: reference.name,
            found: true,
          });
          expect(Object.keys(objectData(secret!))).toContain(reference.key);
        }
      }
    });
  });

  describe('worker autoscaling', () => {
    test('scales on every queue', () => {
      const scaledObject = findObject(objects, 'ScaledObject', 'worker')!;
      const worker = serviceContainers(objects).find((entry) => entry.service === 'worker')!;
      const prefix = containerEnvironment(objects, worker.container).env.BULLMQ_PREFIX;
      const listNames = (scaledObject.spec.triggers as Any[]).map((trigger) => trigger.metadata.listName);

      for (const queue of queueNames) {
        expect(listNames).toContain(`${prefix}:${queue}:wait`);
        expect(listNames).toContain(`${prefix}:${queue}:prioritized`);
      }
      expect(listNames).toHaveLength(queueNames.length * 2);
    });

    test('formula adds up every trigger', () => {
      const scaledObject = findObject(objects, 'ScaledObject', 'worker')!;
      const names = (scaledObject.spec.triggers as Any[]).map((trigger) => trigger.name as string);
      const terms = (scaledObject.spec.advanced.scalingModifiers.formula as string)
        .split('+')
        .map((term) => term.trim());

      for (const name of names) {
        expect(name).toMatch(TRIGGER_NAME);
      }
      expect(terms.sort()).toEqual(names.sort());
      expect(scaledObject.spec.triggers.every((trigger: Any) => trigger.type === 'redis')).toBe(true);
    });

    test('KEDA reads the Redis the services use', () => {
      const scaledObject = findObject(objects, 'ScaledObject', 'worker')!;
      const worker = serviceContainers(objects).find((entry) => entry.service === 'worker')!;
      const { env } = containerEnvironment(objects, worker.container);
      const redisUrl = new URL(env.REDIS_URL!);
      const auth = findObject(objects, 'TriggerAuthentication', scaledObject.spec.triggers[0].authenticationRef.name)!;
      const parameter = (name: string): string | undefined => {
        const reference = (auth.spec.secretTargetRef as Any[]).find((entry) => entry.parameter === name);
        return reference === undefined
          ? undefined
          : objectData(findObject(objects, 'Secret', reference.name)!)[reference.key];
      };
      const database = redisUrl.pathname.replace('/', '') || '0';

      expect(parameter('address')).toBe(`${redisUrl.hostname}:${redisUrl.port || '6379'}`);
      expect(parameter('password') ?? '').toBe(decodeURIComponent(redisUrl.password));
      expect(parameter('username') ?? '').toBe(decodeURIComponent(redisUrl.username));
      expect(parameter('tls')).toBe(redisUrl.protocol === 'rediss:' ? 'enable' : 'disable');
      for (const trigger of scaledObject.spec.triggers as Any[]) {
        expect(trigger.metadata.databaseIndex).toBe(database);
      }
    });
  });

  describe('variables per service', () => {
    const services = [...new Set([...listServices(), 'api', 'worker', 'scheduler', 'cache-invalidator'])].sort();
    for (const service of services) {
      const hasConfig = existsSync(configModulePath(service));
      const title = hasConfig
        ? `sets every variable ${service} reads`
        : `sets every variable ${service} reads (skipped: services/${service}/src/config.ts does not exist yet)`;

      (hasConfig ? test : test.skip)(title, () => {
        const entry = serviceContainers(objects).find((candidate) => candidate.service === service);

        expect(entry).toBeDefined();
        const { env } = containerEnvironment(objects, entry!.container);
        expect({ service, problems: environmentProblems(loadServiceShape(service)!, env) }).toEqual({
          service,
          problems: [],
        });
      });
    }
  });
});

describe('k8s overlay differences', () => {
  test('dev runs Redis with AOF', () => {
    const objects = renderOverlay('dev');
    const redis = findObject(objects, 'StatefulSet', 'redis');
    const worker = serviceContainers(objects).find((entry) => entry.service === 'worker')!;
    const redisUrl = new URL(containerEnvironment(objects, worker.container).env.REDIS_URL!);

    expect(redis?.spec.template.spec.containers[0].args.join(' ')).toMatch(/--appendonly yes/);
    expect(redis?.spec.volumeClaimTemplates).toHaveLength(1);
    expect(findObject(objects, 'Service', redisUrl.hostname)).toBeDefined();
  });

  test('prod uses an external Redis', () => {
    const objects = renderOverlay('prod');
    const worker = serviceContainers(objects).find((entry) => entry.service === 'worker')!;
    const redisUrl = new URL(containerEnvironment(objects, worker.container).env.REDIS_URL!);
    const configMapKeys = objectsOfKind(objects, 'ConfigMap').flatMap((configMap) => Object.keys(configMap.data ?? {}));

    expect(objectsOfKind(objects, 'StatefulSet')).toEqual([]);
    expect(findObject(objects, 'Service', redisUrl.hostname)).toBeUndefined();
    expect(configMapKeys).not.toContain('REDIS_URL');
  });

  test('prod secret files stay out of git', () => {
    const secretsDir = join(repositoryRoot, 'k8s', 'overlays', 'prod', 'secrets');
    const files = readdirSync(secretsDir)
      .filter((file) => file.endsWith('.env.example'))
      .map((file) => join('k8s', 'overlays', 'prod', 'secrets', file.replace(/\.example$/, '')));
    const result = spawnSync('git', ['check-ignore', ...files], { cwd: repositoryRoot, encoding: 'utf8' });

    expect(files.length).toBeGreaterThan(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual(files.sort());
  });
});

describe('schema checks on broken objects', () => {
  test('validator rejects a wrong type', () => {
    const deployment = renderOverlay('dev').find((object) => object.kind === 'Deployment')!;
    deployment.spec.replicas = 'two';

    expect(validateObjects([deployment]).join('\n')).toMatch(/replicas must be integer/);
  });

  test('type check rejects a misspelt field', () => {
    const deployment = renderOverlay('dev').find((object) => object.kind === 'Deployment')!;
    deployment.spec.template.spec.containers[0].livenesProbe = { tcpSocket: { port: 80 } };

    expect(typeCheckObjects([deployment]).join('\n')).toMatch(/livenesProbe/);
  });
});
