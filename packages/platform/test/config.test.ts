import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, durationMsSchema, loadConfig } from '@backbone/platform';
import { z } from 'zod';

const serviceShape = {
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(5),
  SMTP_PASSWORD: z.string().min(12),
};

function captureConfigError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(serviceShape, { env });
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('applies defaults for common variables', () => {
    const config = loadConfig(serviceShape, { env: { SMTP_PASSWORD: 'long-enough-secret' } });

    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OPS_PORT).toBe(9100);
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(25_000);
    expect(config.BULLMQ_PREFIX).toBe('bull');
    expect(config.EVENTS_STREAM_MAX_LENGTH).toBe(10_000);
    expect(config.WORKER_CONCURRENCY).toBe(5);
  });

  it('coerces numbers from strings', () => {
    const config = loadConfig(serviceShape, {
      env: { SMTP_PASSWORD: 'long-enough-secret', WORKER_CONCURRENCY: '12', OPS_PORT: '0' },
    });

    expect(config.WORKER_CONCURRENCY).toBe(12);
    expect(config.OPS_PORT).toBe(0);
  });

  it('accepts rediss URLs with a password and a database', () => {
    const config = loadConfig(serviceShape, {
      env: { SMTP_PASSWORD: 'long-enough-secret', REDIS_URL: 'rediss://user:pw@redis.internal:6380/2' },
    });

    expect(config.REDIS_URL).toBe('rediss://user:pw@redis.internal:6380/2');
  });

  it('lists every invalid variable in one error', () => {
    const error = captureConfigError({
      REDIS_URL: 'http://example.com',
      OPS_PORT: '70000',
      LOG_LEVEL: 'loud',
      WORKER_CONCURRENCY: '-1',
    });

    expect(error.variables.sort()).toEqual([
      'LOG_LEVEL',
      'OPS_PORT',
      'REDIS_URL',
      'SMTP_PASSWORD',
      'WORKER_CONCURRENCY',
    ]);
    expect(error.message).toMatch(/^Invalid configuration, 5 variables to fix:/);
    expect(error.message).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
    expect(error.message).toContain('LOG_LEVEL:');
  });

  it('never prints the value of a variable', () => {
    const secret = 'short-pw';
    const error = captureConfigError({ SMTP_PASSWORD: secret, REDIS_URL: 'redis-with-secret-inside' });

    expect(error.message).toContain('SMTP_PASSWORD:');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('redis-with-secret-inside');
  });

  it('says that a required variable is missing', () => {
    const load = () => loadConfig({ ACK_TIMEOUT_MS: durationMsSchema, SMTP_URL: z.string() }, { env: {} });

    expect(load).toThrow(
      'Invalid configuration, 2 variables to fix:\n  ACK_TIMEOUT_MS: required but not set\n  SMTP_URL: required but not set',
    );
  });

  it('rejects development secrets in production', () => {
    const shape = { API_KEYS: z.string(), BULL_BOARD_PASSWORD: z.string() };
    const env = {
      NODE_ENV: 'production',
      API_KEYS: 'dev-api-key-0123456789',
      BULL_BOARD_PASSWORD: 'dev-board-password',
    };

    expect(() => loadConfig(shape, { env })).toThrow(
      'Invalid configuration, 2 variables to fix:\n' +
        '  API_KEYS: still has its development default; set a real secret in production\n' +
        '  BULL_BOARD_PASSWORD: still has its development default; set a real secret in production',
    );
  });

  it('accepts development secrets outside production', () => {
    const config = loadConfig(
      { API_KEYS: z.string() },
      { env: { NODE_ENV: 'development', API_KEYS: 'dev-api-key-0123456789' } },
    );

    expect(config.API_KEYS).toBe('dev-api-key-0123456789');
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig(serviceShape, { env: { SMTP_PASSWORD: 'long-enough-secret', LOG_LEVEL: '' } });

    expect(config.LOG_LEVEL).toBe('info');
  });

  it('reads a dotenv file without overriding the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
    const path = join(dir, '.env');
    writeFileSync(path, 'TEST_DOTENV_ONLY=from-file\nTEST_DOTENV_BOTH=from-file\n');
    process.env.TEST_DOTENV_BOTH = 'from-env';

    const config = loadConfig({ TEST_DOTENV_ONLY: z.string(), TEST_DOTENV_BOTH: z.string() }, { dotenvPath: path });

    expect(config.TEST_DOTENV_ONLY).toBe('from-file');
    expect(config.TEST_DOTENV_BOTH).toBe('from-env');
    delete process.env.TEST_DOTENV_ONLY;
    delete process.env.TEST_DOTENV_BOTH;
  });
});
