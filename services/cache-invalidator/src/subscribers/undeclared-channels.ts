import { channelNames, isChannelName } from '@backbone/contracts';
import type { Logger } from '@backbone/platform';
import type { Redis } from 'ioredis';

import type { InvalidatorMetrics } from '../metrics';

/**
 * Patterns that cover every channel family of the contracts, such as `map:*`
 * for `map:completed`. Glob characters in a family name are escaped.
 */
export function channelFamilyPatterns(names: readonly string[] = channelNames): string[] {
  const families = names.filter((name) => name.includes(':')).map((name) => name.slice(0, name.indexOf(':')));
  return [...new Set(families)].map((family) => `${family.replace(/[*?[\]\\]/g, '\\$&')}:*`);
}

/**
 * Reports messages on channels that the contracts do not declare but that
 * belong to one of their families, such as `map:deleted` sent by a publisher
 * built from newer contracts. SUBSCRIBE alone never delivers those, so this
 * watcher adds a pattern subscription on the subscriber connection. Each such
 * message is logged, counted as malformed with reason `unknown_channel`, and
 * skipped.
 *
 * Redis also delivers declared channels through the pattern; the watcher
 * ignores them because the EventSubscriber already handles them.
 */
export class UndeclaredChannelWatcher {
  private readonly patterns = channelFamilyPatterns();
  private readonly onMessage = (_pattern: string, channel: string): void => {
    if (isChannelName(channel)) {
      return;
    }
    // The label stays `unknown` so that junk channel names cannot grow the
    // number of series; the log line carries the real name.
    this.metrics.malformed.inc({ channel: 'unknown', reason: 'unknown_channel' });
    this.logger.warn('Malformed event skipped', {
      channel,
      reason: 'unknown_channel',
      detail: 'channel is not declared in the contracts',
    });
  };

  constructor(
    private readonly connection: Redis,
    private readonly metrics: InvalidatorMetrics,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to the family patterns; ioredis restores them after a reconnect. */
  async start(): Promise<void> {
    this.connection.on('pmessage', this.onMessage);
    await this.connection.psubscribe(...this.patterns);
  }

  async stop(): Promise<void> {
    this.connection.off('pmessage', this.onMessage);
    if (this.connection.status === 'ready') {
      await this.connection.punsubscribe(...this.patterns).catch(() => undefined);
    }
  }
}
