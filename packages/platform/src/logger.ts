import winston from 'winston';

import { LineTransport } from './line-transport';
import { redactEntry, redactText } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Service name, written on every line as `service`. */
  service: string;
  level: string;
  format: 'json' | 'pretty';
  /** Destination of the lines; standard output when absent. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
  /**
   * Writes lines logged close together in one write (see LineTransport).
   * Always on for standard output; off by default for a given stream, so
   * that tests read each line as soon as it is logged.
   */
  batchLines?: boolean;
}

/**
 * Removes secrets and e-mail addresses from every record, message included.
 * Winston keeps its own bookkeeping under symbol keys, which `Object.keys`
 * skips, so those survive untouched.
 */
const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') {
      continue;
    }
    const value = info[key];
    info[key] =
      typeof value === 'string' && (key === 'message' || key === 'stack') ? redactText(value) : redactEntry(key, value);
  }
  return info;
});

const prettyFormat = winston.format.printf((info) => {
  const { timestamp, level, message, service, module, stack, ...fields } = info;
  const scope = module === undefined ? String(service) : `${String(service)}/${String(module)}`;
  const extra = Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`;
  const trace = stack === undefined ? '' : `\n${String(stack)}`;
  return `${String(timestamp)} ${level} [${scope}] ${String(message)}${extra}${trace}`;
});

/**
 * Creates the root logger of a service. Modules take a child with
 * `logger.child({ module: 'name' })`; ids go in fields, never in the message.
 */
export function createLogger(options: LoggerOptions): Logger {
  const output =
    options.format === 'json' ? winston.format.json() : winston.format.combine(winston.format.colorize(), prettyFormat);

  const transport =
    options.stream === undefined || options.batchLines === true
      ? new LineTransport(options.stream ?? process.stdout)
      : new winston.transports.Stream({ stream: options.stream });

  // winston runs the whole format chain before its transports drop records
  // below the level, so a debug line would be redacted, timestamped and
  // serialised only to be thrown away. Dropping it first saves that work.
  let logger: Logger | undefined;
  const levelFilter = winston.format((info) => (logger?.isLevelEnabled(info.level) === false ? false : info));

  logger = winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      levelFilter(),
      winston.format.errors({ stack: true }),
      redactFormat(),
      winston.format.timestamp(),
      output,
    ),
    transports: [transport],
  });
  return logger;
}

/** Logger that writes nothing, for code paths and tests that need one but do not read it. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/**
 * Creates a service's root logger from its configuration: `LOG_LEVEL`, and
 * `LOG_FORMAT` or, when unset, JSON in production and readable lines elsewhere.
 */
export function createServiceLogger(
  service: string,
  config: { LOG_LEVEL: string; LOG_FORMAT?: 'json' | 'pretty' | undefined; NODE_ENV: string },
): Logger {
  const format = config.LOG_FORMAT ?? (config.NODE_ENV === 'production' ? 'json' : 'pretty');
  return createLogger({ service, level: config.LOG_LEVEL, format });
}
