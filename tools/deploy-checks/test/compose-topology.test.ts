import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChannelNames, JobNames, MapStatuses, QueueNames } from '@backbone/contracts';
import { findFreePort, RedisTestServer } from '@backbone/redis-harness';
import { SMTPServer } from 'smtp-server';

import { type ComposeService, readComposeFile, resolvedEnvironment } from './helpers/compose';
import { type ServiceProcess, startServiceProcess, waitForHttpOk } from './helpers/processes';
import { entryPath, repositoryRoot, serviceOfCommand } from './helpers/services';

/*
 * Runs the topology of docker-compose.yml as local processes. Every app
 * service starts with its command and its environment from the file
 * (defaults resolved), as many processes as the file's replica count. Redis
 * points at the test's own server, and an SMTP server in the test replaces
 * Mailpit. Then one job (an e-mail through the api, a worker and SMTP) and
 * one event (a map completed through the api, Pub/Sub and the
 * cache-invalidator) go through the whole system.
 */

const compose = readComposeFile();
const appServices = Object.entries(compose.services)
  .map(([name, service]) => ({ name, service, entry: serviceOfCommand(service.command) }))
  .filter((entry): entry is { name: string; service: ComposeService; entry: string } => entry.entry !== undefined);
const missing = appServices.filter(({ entry }) => !existsSync(entryPath(entry))).map(({ entry }) => entry);

interface CaughtMail {
  to: string[];
  body: string;
}

/** Volumes named in a service's mounts, such as `media` in `media:/data/media`. */
function namedVolumes(service: ComposeService): string[] {
  return (service.volumes ?? []).map((mount) => mount.split(':')[0]!).filter((name) => !name.startsWith('.'));
}

const describeTopology = missing.length === 0 ? describe : describe.skip;

describeTopology('docker-compose topology as local processes', () => {
  let redis: RedisTestServer;
  let smtp: SMTPServer;
  let smtpPort: number;
  const caught: CaughtMail[] = [];
  /** Every started process with the service it runs and the port of its /healthz and /readyz. */
  const started: { child: ServiceProcess; service: string; healthPort: number }[] = [];
  const volumeDirs = new Map<string, string>();
  let apiPort = 0;
  let apiKey = '';

  beforeAll(async () => {
    redis = await RedisTestServer.start();

    smtpPort = await findFreePort();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          caught.push({
            to: session.envelope.rcptTo.map((address) => address.address),
            body: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));

    for (const { name, service, entry } of appServices) {
      const replicas = service.deploy?.replicas ?? 1;
      for (let replica = 0; replica < replicas; replica += 1) {
        const opsPort = await findFreePort();
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          ...resolvedEnvironment(service),
          REDIS_URL: redis.url(),
          OPS_PORT: String(opsPort),
          LOG_FORMAT: 'json',
        };
        if (env.API_PORT !== undefined) {
          apiPort = apiPort || (await findFreePort());
          env.API_PORT = String(apiPort);
          apiKey = (env.API_KEYS ?? '').split(',')[0]!.trim();
        }
        let ownPort: number | undefined;
        if (env.REALTIME_PORT !== undefined) {
          ownPort = await findFreePort();
          env.REALTIME_PORT = String(ownPort);
        }
        if (env.SMTP_URL !== undefined) {
          env.SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
        }
        if (env.MEDIA_DIR !== undefined) {
          // Services that mount the same named volume share one directory, as in Compose.
          const volume = namedVolumes(service)[0] ?? `${name}-media`;
          const dir = volumeDirs.get(volume) ?? mkdtempSync(join(tmpdir(), `topology-${volume}-`));
          volumeDirs.set(volume, dir);
          env.MEDIA_DIR = dir;
        }

        // The command as Compose runs it in the image, `node <entry>`, here with this Node.
        const args = (service.command ?? []).slice(1);
        started.push({
          child: startServiceProcess(`${name}#${replica + 1}`, args, { cwd: repositoryRoot, env }),
          service: entry,
          healthPort: entry === 'api' ? apiPort : (ownPort ?? opsPort),
        });
      }
    }

    await Promise.all(started.map(({ child, healthPort }) => waitForHttpOk(child, healthPort, '/readyz')));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(started.map(({ child }) => child.stop().catch(() => null)));
    smtp?.close(() => undefined);
    await redis?.cleanup();
    for (const dir of volumeDirs.values()) {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in the assertions.
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  }

  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while (!done(value) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await read();
    }
    return value;
  }

  test('runs two worker processes', () => {
    expect(started.filter(({ service }) => service === 'worker')).toHaveLength(2);
  });

  test('e-mail job reaches the SMTP server', async () => {
    const subject = `Topology check ${Date.now()}`;
    const accepted = await api('POST', `/v1/queues/${QueueNames.sendEmail}/jobs`, {
      name: JobNames.sendEmail,
      data: { to: 'player@example.com', subject, text: 'Sent through the whole system.' },
    });

    expect(accepted.status).toBe(202);
    const mail = await eventually(
      async () => caught.find((message) => message.body.includes(subject)),
      (message) => message !== undefined,
    );
    expect(mail?.to).toEqual(['player@example.com']);
    const job = await eventually(
      () => api('GET', `/v1/queues/${QueueNames.sendEmail}/jobs/${accepted.json.id}`),
      (response) => response.json?.state === 'completed',
    );
    expect(job.json.state).toBe('completed');
  }, 40_000);

  test('completed map event reaches the cache-invalidator', async () => {
    const created = await api('POST', '/v1/maps', { name: 'Topology map' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    const first = await api('GET', `/v1/maps/${id}`);
    expect(first.json.status).toBe(MapStatuses.pending);

    const completed = await api('POST', `/v1/maps/${id}/complete`, { result: { winner: 'blue' } });
    expect(completed.status).toBe(200);

    const fresh = await api('GET', `/v1/maps/${id}`);
    expect(fresh.json.status).toBe(MapStatuses.completed);

    const invalidatorPort = started.find(({ service }) => service === 'cache-invalidator')!.healthPort;
    const pattern = new RegExp(
      `^events_received_total\\{[^}]*channel="${ChannelNames.mapCompleted}"[^}]*\\} ([0-9.e+]+)$`,
      'm',
    );
    const metrics = await eventually(
      async () => (await fetch(`http://127.0.0.1:${invalidatorPort}/metrics`)).text(),
      (text) => Number(pattern.exec(text)?.[1] ?? 0) >= 1,
    );
    expect(Number(pattern.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
  }, 40_000);

  test('every process exits 0 on SIGTERM', async () => {
    const codes = await Promise.all(started.map(async ({ child }) => ({ name: child.name, code: await child.stop() })));

    for (const { name, code } of codes) {
      expect({ name, code }).toEqual({ name, code: 0 });
    }
  }, 60_000);
});

if (missing.length > 0) {
  test.skip(`docker-compose topology (skipped: not built yet: ${missing.map((name) => `services/${name}/dist/main.js`).join(', ')})`, () => {});
}
