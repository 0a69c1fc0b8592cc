import { isAbsolute, join, resolve } from 'node:path';

import concurrently from 'concurrently';

import { developmentCredentials, loadLocalStackConfig } from './config';
import { MailCatcher } from './mail-catcher';
import { LocalRedis } from './redis-process';
import { findServices } from './services';

/*
 * `npm start`: runs the whole system on this machine. Starts a private Redis
 * with AOF unless REDIS_URL is set, a mail catcher, and every service as its
 * own process with prefixed logs. Ctrl-C stops the services first, then the
 * mail catcher and Redis.
 */

const root = resolve(__dirname, '..', '..', '..');

async function main(): Promise<number> {
  const config = loadLocalStackConfig();
  const dataDir = isAbsolute(config.LOCAL_DATA_DIR) ? config.LOCAL_DATA_DIR : join(root, config.LOCAL_DATA_DIR);

  const services = findServices(root);
  if (services.length === 0) {
    throw new Error('No service is built yet; run "npm run build" first.');
  }

  const redis =
    config.REDIS_URL === undefined
      ? await LocalRedis.start(config.LOCAL_REDIS_PORT, join(dataDir, 'redis'))
      : undefined;
  const redisUrl = config.REDIS_URL ?? redis!.url;

  const mail = new MailCatcher(join(dataDir, 'mail'));
  try {
    await mail.start(config.MAIL_SMTP_PORT, config.MAIL_WEB_PORT);
  } catch (error) {
    // Leave nothing running behind a failed start, or the next start finds its Redis port taken.
    await mail.stop();
    await redis?.stop();
    throw error;
  }

  const defaulted = Object.entries(developmentCredentials).filter(([name]) => !process.env[name]);
  const secrets = Object.fromEntries(defaulted);
  const sharedEnv = {
    ...process.env,
    ...secrets,
    REDIS_URL: redisUrl,
    MEDIA_DIR: process.env.MEDIA_DIR || join(dataDir, 'media'),
    SMTP_URL: process.env.SMTP_URL || `smtp://127.0.0.1:${config.MAIL_SMTP_PORT}`,
    API_PORT: String(config.API_PORT),
    REALTIME_PORT: String(config.REALTIME_PORT),
    LOG_FORMAT: process.env.LOG_FORMAT || 'pretty',
    // Colours help in a terminal and litter a file with escape codes.
    FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0'),
  };

  const opsPorts = new Map<string, number>();
  for (const service of services.filter((candidate) => candidate.usesOpsPort)) {
    opsPorts.set(service.name, config.LOCAL_OPS_BASE_PORT + opsPorts.size);
  }

  printBanner(
    config,
    redisUrl,
    redis !== undefined,
    secrets,
    services.map((service) => service.name),
    opsPorts,
  );

  const { result } = concurrently(
    services.map((service) => ({
      name: service.name,
      // exec replaces the shell that concurrently starts, so Ctrl-C and SIGTERM
      // reach Node directly and a clean stop reports exit code 0.
      command: `exec "${process.execPath}" ${service.entry}`,
      cwd: root,
      env: { ...sharedEnv, ...(opsPorts.has(service.name) ? { OPS_PORT: String(opsPorts.get(service.name)) } : {}) },
    })),
    { prefix: 'name', killOthersOn: ['failure'], prefixColors: ['cyan', 'green', 'magenta', 'yellow', 'blue'] },
  );

  let exitCode = 0;
  try {
    await result;
  } catch {
    exitCode = 1;
  }

  await mail.stop();
  await redis?.stop();
  process.stdout.write(
    `Local stack stopped${redis === undefined ? '' : `; Redis data kept in ${join(dataDir, 'redis')}`}.\n`,
  );
  return exitCode;
}

function printBanner(
  config: ReturnType<typeof loadLocalStackConfig>,
  redisUrl: string,
  ownRedis: boolean,
  /** Only the secrets that fell back to their development default. */
  secrets: Record<string, string>,
  services: string[],
  opsPorts: ReadonlyMap<string, number>,
): void {
  const api = `http://localhost:${config.API_PORT}`;
  const lines = [
    '',
    `Starting ${services.join(', ')}`,
    `  Redis        ${redisUrl}${ownRedis ? ' (private, AOF on)' : ''}`,
    `  API          ${api}  (Authorization: Bearer ${shown(secrets.API_KEYS)})`,
    `  OpenAPI      ${api}/openapi.json`,
    `  Bull Board   ${api}/admin/queues  (user ${shown(secrets.BULL_BOARD_USERNAME)}, password ${shown(secrets.BULL_BOARD_PASSWORD)})`,
    `  Realtime     ws://localhost:${config.REALTIME_PORT}/v1/realtime?token=${shown(secrets.REALTIME_TOKENS)}`,
    `  Mail         http://localhost:${config.MAIL_WEB_PORT}  (SMTP on port ${config.MAIL_SMTP_PORT})`,
    `  Ops ports    ${[...opsPorts].map(([name, port]) => `${name} ${port}`).join(', ')}  (/healthz, /readyz, /metrics)`,
    '  Stop with Ctrl-C.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Formats a secret for the banner: a development default as it is, a value the user set never. */
function shown(defaultValue: string | undefined): string {
  return defaultValue ?? '<from your environment>';
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
