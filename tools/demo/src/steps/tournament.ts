import { ScheduleIds, TournamentStatuses } from '@backbone/contracts';

import { cacheStatusOf, expectStatus, jsonOf } from '../api-client';
import { followJob } from '../jobs';
import { expectThat, type Step, type StepContext, waitFor } from '../step';

interface Tournament {
  id: string;
  name: string;
  startsAt: string;
  status: string;
}

/** How far in the past the demo tournament starts. */
const STARTED_AGO_MS = 60_000;

async function readTournament(context: StepContext, id: string): Promise<{ tournament: Tournament; cache: string }> {
  const response = await context.api.send('GET', `/v1/tournaments/${id}`);
  expectStatus(response, 200);
  return { tournament: jsonOf<Tournament>(response), cache: cacheStatusOf(response.headers) };
}

/**
 * Creates a tournament whose start time has passed, runs the
 * `activate-tournaments` schedule once through the api, and reads the
 * tournament until it is active. The cached read before the run goes stale
 * then, so this also shows the cache-invalidator dropping it.
 */
export const tournamentStep: Step = {
  title: 'activate a tournament whose start time has passed',

  async run(context) {
    const startsAt = new Date(Date.now() - STARTED_AGO_MS).toISOString();
    const { json: created } = await context.api.sendExpecting<Tournament>(201, 'POST', '/v1/tournaments', {
      json: { name: `Demo cup ${context.runId}`, startsAt },
    });
    context.tournamentId = created.id;
    context.print(`created tournament ${created.id} "${created.name}" starting ${startsAt}: status ${created.status}`);
    expectThat(
      created.status === TournamentStatuses.scheduled,
      `a new tournament has status ${created.status}, expected ${TournamentStatuses.scheduled}`,
    );

    const before = await readTournament(context, created.id);
    context.print(`read tournament ${created.id}: status ${before.tournament.status} (cache ${before.cache})`);

    const { json: run } = await context.api.sendExpecting<{ id: string; queue: string; statusUrl: string }>(
      202,
      'POST',
      `/v1/schedules/${ScheduleIds.activateTournaments}/run`,
    );
    context.print(`ran schedule ${ScheduleIds.activateTournaments} now: job ${run.id} in queue ${run.queue}`);

    const job = await followJob(context, run.statusUrl);
    const activated = (job.result as { activated?: string[] } | null)?.activated ?? [];
    context.print(
      `the job activated ${activated.length} tournament(s)` +
        (activated.includes(created.id) ? `, ${created.id} among them` : ''),
    );

    const after = await waitFor(
      async () => {
        const read = await readTournament(context, created.id);
        return read.tournament.status === TournamentStatuses.active ? read : undefined;
      },
      {
        timeoutMs: context.config.DEMO_WAIT_TIMEOUT_MS,
        timeoutMessage: () =>
          `tournament ${created.id} was still not ${TournamentStatuses.active} ` +
          `${context.config.DEMO_WAIT_TIMEOUT_MS} ms after the job completed; is the cache-invalidator running?`,
      },
    );
    context.print(
      `tournament ${created.id}: status ${before.tournament.status} -> ${after.tournament.status} (cache ${after.cache})`,
    );
  },
};
