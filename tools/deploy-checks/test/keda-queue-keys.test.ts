import { queueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { findObject, type KubeObject, objectData, renderOverlay } from './helpers/kubernetes';

/*
 * KEDA's redis scaler (pkg/scalers/redis_scaler.go in kedacore/keda) reads a
 * key's type with TYPE in a Lua script and counts it with the matching
 * command: LLEN for a list, ZCARD for a sorted set, 0 when the key is
 * missing. This suite adds real BullMQ jobs and counts the keys that the
 * ScaledObject names the same way. A BullMQ upgrade that moves its keys then
 * fails here instead of silently stopping the autoscaling.
 */

/** Length of a key as KEDA's redis scaler measures it. */
async function scalerLength(client: Redis, key: string): Promise<number> {
  const type = await client.type(key);
  switch (type) {
    case 'list':
      return client.llen(key);
    case 'zset':
      return client.zcard(key);
    case 'set':
      return client.scard(key);
    case 'hash':
      return client.hlen(key);
    case 'none':
      return 0;
    default:
      throw new Error(`KEDA cannot count key ${key} of type ${type}`);
  }
}

describe('KEDA worker triggers', () => {
  let redis: RedisTestServer;
  let client: Redis;
  let scaledObject: KubeObject;
  let prefix: string;
  const queues: Queue[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    client = redis.client();
    const objects = renderOverlay('dev');
    scaledObject = findObject(objects, 'ScaledObject', 'worker')!;
    const common = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('backbone-common'),
    )!;
    prefix = objectData(common).BULLMQ_PREFIX!;
  });

  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await redis?.cleanup();
  });

  test('count waiting and prioritized jobs', async () => {
    const expected: Record<string, number> = {};
    for (const [index, name] of queueNames.entries()) {
      const queue = new Queue(name, { connection: redis.client({ maxRetriesPerRequest: null }), prefix });
      queues.push(queue);
      const waiting = index + 1;
      const prioritized = index + 2;
      await queue.addBulk(Array.from({ length: waiting }, (_, n) => ({ name: 'plain', data: { n } })));
      await queue.addBulk(
        Array.from({ length: prioritized }, (_, n) => ({ name: 'urgent', data: { n }, opts: { priority: n + 1 } })),
      );
      // Delayed jobs are not ready to run, so they must not add workers.
      await queue.add('later', {}, { delay: 60_000 });
      const counts = await queue.getJobCounts('wait', 'prioritized');
      expected[name] = (counts.wait ?? 0) + (counts.prioritized ?? 0);
    }

    for (const name of queueNames) {
      const triggers = (scaledObject.spec.triggers as { metadata: { listName: string } }[]).filter((trigger) =>
        trigger.metadata.listName.startsWith(`${prefix}:${name}:`),
      );
      const lengths = await Promise.all(triggers.map((trigger) => scalerLength(client, trigger.metadata.listName)));
      const total = lengths.reduce((sum, length) => sum + length, 0);

      expect({ queue: name, total }).toEqual({ queue: name, total: expected[name] });
      expect({ queue: name, total }).not.toEqual({ queue: name, total: 0 });
    }
  });
});
