import { ConfigError, loadConfig } from '@backbone/platform';

import { realtimeConfigShape } from '../src/config';

describe('realtime config', () => {
  it('splits REALTIME_TOKENS on commas', () => {
    const config = loadConfig(realtimeConfigShape, { env: { REALTIME_TOKENS: ' first-token , second-token ,' } });

    expect(config.REALTIME_TOKENS).toEqual(['first-token', 'second-token']);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(realtimeConfigShape, { env: { REALTIME_TOKENS: 'first-token' } });

    expect(config.REALTIME_PORT).toBe(3001);
    expect(config.REALTIME_MAX_CONNECTIONS).toBe(10_000);
    expect(config.REALTIME_MAX_SUBSCRIPTIONS_PER_CONNECTION).toBe(50);
    expect(config.REALTIME_MAX_MESSAGE_BYTES).toBe(4_096);
    expect(config.REALTIME_MAX_BUFFERED_BYTES).toBe(1_048_576);
    expect(config.REALTIME_HEARTBEAT_INTERVAL_MS).toBe(30_000);
  });

  it.each([
    ['a short token', 'short'],
    ['only commas', ',,'],
  ])('rejects %s', (_case, tokens) => {
    const attempt = () => loadConfig(realtimeConfigShape, { env: { REALTIME_TOKENS: tokens } });

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/REALTIME_TOKENS/);
  });
});
