import { MapStatuses } from '@backbone/contracts';

import { cacheStatusOf, expectStatus, jsonOf } from '../api-client';
import { expectThat, type Step, type StepContext, StepFailure } from '../step';

interface GameMap {
  id: string;
  status: string;
}

/**
 * Reads made before the demo gives up on a cache hit. The first read can
 * miss, and so can the second when an invalidation from the image step
 * lands between the two.
 */
const MAX_READS_FOR_HIT = 3;

async function readMap(context: StepContext, id: string, label: string): Promise<{ map: GameMap; cache: string }> {
  const response = await context.api.send('GET', `/v1/maps/${id}`);
  expectStatus(response, 200);
  const read = { map: jsonOf<GameMap>(response), cache: cacheStatusOf(response.headers) };
  context.print(`${label}: map ${id} status ${read.map.status} (cache ${read.cache})`);
  return read;
}

/**
 * Reads a map until the api serves it from the cache, completes it, and
 * reads it again: the completion drops the cached entry, so that read is
 * fresh and shows the map completed.
 */
export const cacheStep: Step = {
  title: 'read a map from the cache, complete it and read it fresh',

  async run(context) {
    const id = context.mapId;
    if (id === undefined) {
      throw new StepFailure('no map to read, because the map image step did not create one');
    }

    let cached: { map: GameMap; cache: string } | undefined;
    for (let read = 1; read <= MAX_READS_FOR_HIT && cached?.cache !== 'hit'; read += 1) {
      cached = await readMap(context, id, `read ${read}`);
    }
    expectThat(
      cached?.cache === 'hit',
      `${MAX_READS_FOR_HIT} reads of map ${id} in a row had Cache-Status ${cached?.cache}, expected one hit`,
    );
    expectThat(
      cached.map.status === MapStatuses.pending,
      `the cached map has status ${cached.map.status}, expected ${MapStatuses.pending}`,
    );

    const { json: completed } = await context.api.sendExpecting<GameMap>(200, 'POST', `/v1/maps/${id}/complete`, {
      json: { result: { winner: 'demo' } },
    });
    context.print(`completed map ${id}: status ${completed.status}`);

    const fresh = await readMap(context, id, 'read after completion');
    expectThat(
      fresh.map.status === MapStatuses.completed,
      `the read after completion has status ${fresh.map.status}, expected ${MapStatuses.completed}: a stale cached entry was served`,
    );
    expectThat(
      fresh.cache === 'miss',
      `the read after completion had Cache-Status ${fresh.cache}, expected a miss because completion drops the entry`,
    );
  },
};
