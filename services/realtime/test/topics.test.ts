import { ChannelNames } from '@backbone/contracts';

import { parseTopic, topicsOfEvent } from '../src/topics';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('realtime topics', () => {
  it('parses a channel as a topic of that channel', () => {
    expect(parseTopic(ChannelNames.tournamentCreated)).toEqual({
      name: ChannelNames.tournamentCreated,
      channels: [ChannelNames.tournamentCreated],
    });
  });

  it('parses a map topic with both map channels', () => {
    expect(parseTopic('map:m-1')).toEqual({
      name: 'map:m-1',
      channels: [ChannelNames.mapCompleted, ChannelNames.mapUpdated],
      entity: { kind: 'map', id: 'm-1' },
    });
  });

  it.each(['', 'map', 'map:', 'player:p1', 'map:a b', `map:${'x'.repeat(65)}`])('rejects topic "%s"', (name) => {
    expect(parseTopic(name)).toBeUndefined();
  });

  it('routes a completed map to its channel, map and tournament', () => {
    const topics = topicsOfEvent(ChannelNames.mapCompleted, {
      mapId: 'm1',
      tournamentId: 't1',
      result: null,
      timestamp,
    });

    expect(topics).toEqual([ChannelNames.mapCompleted, 'map:m1', 'tournament:t1']);
  });

  it('routes a map without tournament to no tournament', () => {
    const topics = topicsOfEvent(ChannelNames.mapCompleted, {
      mapId: 'm1',
      tournamentId: null,
      result: null,
      timestamp,
    });

    expect(topics).toEqual([ChannelNames.mapCompleted, 'map:m1']);
  });
});
