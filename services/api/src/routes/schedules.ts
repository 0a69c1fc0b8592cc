import { findSchedule, schedules } from '@backbone/contracts';
import { NotFoundError } from '@backbone/platform';

import { type ApiContext, loggerOf, requestIdOf } from '../context';
import { jsonBody } from '../http/body';
import type { RouteHandler, RouteTable } from '../http/route-table';
import { statusUrl } from './jobs';

export function registerScheduleRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const { producer } = context;
  const json = jsonBody(context.config.API_JSON_BODY_LIMIT_BYTES);

  routes.add('get', '/v1/schedules', auth, async (_request, response) => {
    const listed = await Promise.all(
      schedules.map(async (schedule) => {
        // The scheduler service registers the job scheduler; until it has, there is no next run.
        const registered = await producer.queue(schedule.queue).getJobScheduler(schedule.id);
        const next = registered?.next;
        return {
          id: schedule.id,
          description: schedule.description,
          queue: schedule.queue,
          jobName: schedule.jobName,
          pattern: schedule.pattern,
          timeZone: schedule.timeZone,
          registered: registered !== undefined && registered !== null,
          nextRunAt: next === undefined || next === null ? null : new Date(next).toISOString(),
        };
      }),
    );
    response.json({ schedules: listed });
  });

  routes.add('post', '/v1/schedules/:id/run', auth, ...json, async (request, response) => {
    const id = String(request.params.id);
    const schedule = findSchedule(id);
    if (schedule === undefined) {
      throw new NotFoundError('schedule_not_found', `Schedule "${id}" is not declared`);
    }

    const job = await producer.add(schedule.queue, schedule.jobName, schedule.data, {
      requestId: requestIdOf(response),
    });

    loggerOf(response).info('Schedule run added', { scheduleId: schedule.id, queue: schedule.queue, jobId: job.id });
    const url = statusUrl(schedule.queue, job.id!);
    response.status(202).location(url).json({
      scheduleId: schedule.id,
      id: job.id,
      queue: schedule.queue,
      name: schedule.jobName,
      state: 'waiting',
      statusUrl: url,
    });
  });
}
