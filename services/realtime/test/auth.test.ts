import { ChannelNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';

import { metricValue, startTestGateway, TestClient, type TestGateway } from './support/gateway';

describe('realtime authentication', () => {
  let redis: RedisTestServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    gateway = await startTestGateway(redis.url());
  });

  afterAll(async () => {
    await gateway.handle.stop();
    await redis.cleanup();
  });

  it('closes a connection without token with 4401', async () => {
    const client = await TestClient.connect(gateway.url, { token: '' });

    const { code, reason } = await client.closed;
    expect(code).toBe(4401);
    expect(reason).toMatch(/^Missing token/);
  });

  it('closes a connection with a wrong token with 4401', async () => {
    const client = await TestClient.connect(gateway.url, { token: 'not-a-configured-token' });

    const { code, reason } = await client.closed;
    expect(code).toBe(4401);
    expect(reason).toBe('Invalid token');
  });

  it('ignores a subscribe sent before the 4401 close', async () => {
    const client = await TestClient.connect(gateway.url, { token: 'not-a-configured-token' });
    client.send({ type: 'subscribe', topic: ChannelNames.mapCompleted });

    await client.closed;
    expect(client.messages).toEqual([]);
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(0);
    expect(await metricValue(gateway.registry, 'realtime_connections')).toBe(0);
  });

  it.each(['header', 'query'] as const)('accepts a configured token in the %s', async (via) => {
    const client = await TestClient.connect(gateway.url, { token: 'second-test-token', via });

    const ack = await client.subscribe(ChannelNames.mapCompleted);
    expect(ack.type).toBe('subscribed');
    client.close();
  });

  it('counts refused connections by reason', async () => {
    expect(await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="unauthorized"}')).toBe(3);
  });
});
