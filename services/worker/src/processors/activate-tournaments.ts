import { ChannelNames, JobNames, QueueNames } from '@backbone/contracts';
import type { TournamentStore } from '@backbone/game-store';
import { type EventPublisher, readJob } from '@backbone/platform';

import { defineProcessor, type Processor } from '../registry';

/** Tournaments moved per store call; a run repeats the call until fewer come back. */
const ACTIVATION_BATCH_SIZE = 500;

export interface ActivateTournamentsProcessorDeps {
  tournamentStore: TournamentStore;
  publisher: EventPublisher;
}

/**
 * Moves every due tournament from scheduled to active and publishes
 * `tournament:activated` for each one this run moved. The store moves each
 * tournament in one Lua script, so two overlapping runs never both get it,
 * and each event is published once.
 */
export function activateTournamentsProcessor(deps: ActivateTournamentsProcessorDeps): Processor {
  return defineProcessor(QueueNames.scheduler, JobNames.activateTournaments, async (job) => {
    readJob(QueueNames.scheduler, JobNames.activateTournaments, job);

    const now = new Date();
    const activated = [];
    let batch: Awaited<ReturnType<TournamentStore['activateDue']>>;
    do {
      batch = await deps.tournamentStore.activateDue(now, ACTIVATION_BATCH_SIZE);
      activated.push(...batch);
    } while (batch.length === ACTIVATION_BATCH_SIZE);

    // NOTE: a crash between the move and the publishes loses the events of
    // that run, because the retry no longer finds the tournaments due.
    // Subscribers that must not miss one should also read the active set.
    for (const tournament of activated) {
      await deps.publisher.publish(ChannelNames.tournamentActivated, {
        tournamentId: tournament.id,
        timestamp: tournament.activatedAt ?? new Date().toISOString(),
      });
    }

    return { activated: activated.map((tournament) => tournament.id) };
  });
}
