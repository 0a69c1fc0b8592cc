import {
  ChannelNames,
  cacheEntryKey,
  cacheGenerationKey,
  cacheRules,
  channelNames,
  channels,
  EmailTemplates,
  eventSchema,
  JobNames,
  jobSchema,
  QueueNames,
  queueNames,
  queues,
  schedules,
  staleEntries,
} from '@backbone/contracts';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('queue contracts', () => {
  it('declare the first set of queues and jobs', () => {
    expect(queueNames.sort()).toEqual(['image-processing', 'scheduler', 'send-email']);
    expect(Object.keys(queues['image-processing'].jobs)).toEqual(['map-image']);
    expect(Object.keys(queues['send-email'].jobs)).toEqual(['send-email']);
    expect(Object.keys(queues.scheduler.jobs)).toEqual(['activate-tournaments']);
  });

  it.each(queueNames)('%s keeps completed and failed jobs bounded', (name) => {
    const defaults = queues[name].defaultJobOptions;

    expect(defaults.attempts).toBeGreaterThanOrEqual(1);
    expect(defaults.removeOnComplete.count).toBeGreaterThan(0);
    expect(defaults.removeOnComplete.age).toBeGreaterThan(0);
    expect(defaults.removeOnFail.count).toBeGreaterThan(0);
    expect(defaults.removeOnFail.age).toBeGreaterThan(0);
  });

  it.each(queueNames)('%s lets a job finish within its lock duration', (name) => {
    const worker = queues[name].worker;

    expect(worker.maxJobDurationMs).toBeLessThanOrEqual(worker.lockDurationMs);
  });
});

describe('map-image payload', () => {
  const schema = jobSchema(QueueNames.imageProcessing, JobNames.mapImage);

  it('accepts a map id and a media key', () => {
    expect(schema.safeParse({ mapId: 'map-1', sourceKey: 'originals/map-1/abc.jpg' }).success).toBe(true);
  });

  it.each([
    ['missing map id', { sourceKey: 'a.jpg' }, 'mapId'],
    ['map id with a colon', { mapId: 'a:b', sourceKey: 'a.jpg' }, 'mapId'],
    ['absolute key', { mapId: 'm', sourceKey: '/etc/passwd' }, 'sourceKey'],
    ['key climbing out', { mapId: 'm', sourceKey: 'originals/../../etc/passwd' }, 'sourceKey'],
    ['unknown field', { mapId: 'm', sourceKey: 'a.jpg', bytes: 'AAAA' }, ''],
  ])('rejects %s', (_case, payload, field) => {
    const result = schema.safeParse(payload);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
  });
});

describe('send-email payload', () => {
  const schema = jobSchema(QueueNames.sendEmail, JobNames.sendEmail);

  it.each([
    ['plain text', { to: 'player@example.com', subject: 'Hi', text: 'Hello' }],
    ['html to several recipients', { to: ['a@example.com', 'b@example.com'], subject: 'Hi', html: '<p>Hello</p>' }],
    [
      'a template',
      { to: 'player@example.com', template: EmailTemplates.tournamentStarted, variables: { name: 'Cup' } },
    ],
  ])('accepts %s', (_case, payload) => {
    expect(schema.safeParse(payload).success).toBe(true);
  });

  it.each([
    ['an invalid address', { to: 'not-an-address', subject: 'Hi', text: 'x' }, 'to'],
    ['no subject without template', { to: 'a@example.com', text: 'x' }, 'subject'],
    ['no body without template', { to: 'a@example.com', subject: 'Hi' }, 'text'],
    ['an unknown template', { to: 'a@example.com', template: 'nope' }, 'template'],
    ['a template with text', { to: 'a@example.com', template: EmailTemplates.mapCompleted, text: 'x' }, 'template'],
    ['an empty recipient list', { to: [], subject: 'Hi', text: 'x' }, 'to'],
  ])('rejects %s', (_case, payload, field) => {
    const result = schema.safeParse(payload);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(field);
  });
});

describe('activate-tournaments payload', () => {
  const schema = jobSchema(QueueNames.scheduler, JobNames.activateTournaments);

  it('accepts an empty object', () => {
    expect(schema.safeParse({}).success).toBe(true);
  });

  it('rejects fields it does not declare', () => {
    expect(schema.safeParse({ force: true }).success).toBe(false);
  });
});

describe('channel contracts', () => {
  const validEvents = {
    [ChannelNames.mapCompleted]: { mapId: 'm1', tournamentId: 't1', result: { winner: 'blue' }, timestamp },
    [ChannelNames.mapUpdated]: { mapId: 'm1', changes: ['image'], timestamp },
    [ChannelNames.tournamentCreated]: { tournamentId: 't1', startsAt: timestamp, timestamp },
    [ChannelNames.tournamentActivated]: { tournamentId: 't1', timestamp },
  };

  it('declare the first set of channels', () => {
    expect(channelNames.sort()).toEqual(['map:completed', 'map:updated', 'tournament:activated', 'tournament:created']);
  });

  it.each(channelNames)('%s accepts a valid event', (channel) => {
    expect(eventSchema(channel).safeParse(validEvents[channel]).success).toBe(true);
  });

  it.each(channelNames)('%s rejects an event without timestamp', (channel) => {
    const { timestamp: _omitted, ...event } = validEvents[channel];
    const result = eventSchema(channel).safeParse(event);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['timestamp']);
  });

  it.each(channelNames)('%s rejects a timestamp that is not ISO 8601', (channel) => {
    const result = eventSchema(channel).safeParse({ ...validEvents[channel], timestamp: 'yesterday' });

    expect(result.success).toBe(false);
  });

  it('rejects map:updated without changes', () => {
    expect(eventSchema(ChannelNames.mapUpdated).safeParse({ mapId: 'm1', changes: [], timestamp }).success).toBe(false);
  });

  it('every channel has a cache rule', () => {
    expect(Object.keys(cacheRules).sort()).toEqual(Object.keys(channels).sort());
  });
});

describe('cache rules', () => {
  it('map:completed makes the map entry stale', () => {
    const entries = staleEntries(ChannelNames.mapCompleted, {
      mapId: 'm1',
      tournamentId: null,
      result: null,
      timestamp,
    });

    expect(entries).toEqual([{ namespace: 'maps', id: 'm1' }]);
  });

  it('tournament:activated makes the tournament and the status lists stale', () => {
    const entries = staleEntries(ChannelNames.tournamentActivated, { tournamentId: 't1', timestamp });

    expect(entries).toContainEqual({ namespace: 'tournaments', id: 't1' });
    expect(entries).toContainEqual({ namespace: 'tournament-lists', id: 'scheduled' });
    expect(entries).toContainEqual({ namespace: 'tournament-lists', id: 'active' });
    expect(entries).toContainEqual({ namespace: 'tournament-lists', id: 'all' });
  });

  it('keys carry the namespace generation', () => {
    expect(cacheEntryKey('maps', 3, 'm1')).toBe('cache:maps:3:m1');
    expect(cacheGenerationKey('maps')).toBe('cache:maps:generation');
  });
});

describe('schedule contracts', () => {
  it('declare activate-tournaments hourly in UTC', () => {
    expect(schedules).toContainEqual(
      expect.objectContaining({
        id: 'activate-tournaments',
        queue: 'scheduler',
        jobName: 'activate-tournaments',
        pattern: '0 * * * *',
        timeZone: 'UTC',
      }),
    );
  });

  it.each(schedules.map((schedule) => [schedule.id, schedule] as const))(
    '%s has data its job accepts',
    (_id, schedule) => {
      expect(jobSchema(schedule.queue, schedule.jobName).safeParse(schedule.data).success).toBe(true);
    },
  );

  it('have unique ids', () => {
    const ids = schedules.map((schedule) => schedule.id);

    expect(new Set(ids).size).toBe(ids.length);
  });
});
