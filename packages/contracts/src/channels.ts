import { z } from 'zod';

import { entityIdSchema, isoTimestampSchema } from './schemas';

/*
 * Every Redis Pub/Sub channel of the system and the schema of its messages.
 * A message is the JSON of the payload. Adding a channel is a change to this
 * file plus its subscriber, and its cache rule in cache.ts when it makes
 * cached data stale.
 */

export const ChannelNames = {
  mapCompleted: 'map:completed',
  mapUpdated: 'map:updated',
  tournamentCreated: 'tournament:created',
  tournamentActivated: 'tournament:activated',
} as const;

/** Parts of a map that a `map:updated` event reports as changed. */
export const MapChanges = {
  image: 'image',
  name: 'name',
  status: 'status',
} as const;

export const mapCompletedEventSchema = z.strictObject({
  mapId: entityIdSchema,
  tournamentId: entityIdSchema.nullable(),
  /** Free-form outcome of the map, such as the winner and the score. */
  result: z.record(z.string(), z.unknown()).nullable(),
  timestamp: isoTimestampSchema,
});

export const mapUpdatedEventSchema = z.strictObject({
  mapId: entityIdSchema,
  changes: z.array(z.enum([MapChanges.image, MapChanges.name, MapChanges.status])).min(1),
  timestamp: isoTimestampSchema,
});

export const tournamentCreatedEventSchema = z.strictObject({
  tournamentId: entityIdSchema,
  startsAt: isoTimestampSchema,
  timestamp: isoTimestampSchema,
});

export const tournamentActivatedEventSchema = z.strictObject({
  tournamentId: entityIdSchema,
  timestamp: isoTimestampSchema,
});

export const channels = {
  [ChannelNames.mapCompleted]: {
    name: ChannelNames.mapCompleted,
    description: 'A map was played to the end.',
    schema: mapCompletedEventSchema,
  },
  [ChannelNames.mapUpdated]: {
    name: ChannelNames.mapUpdated,
    description: 'Stored data of a map changed, for example its processed image.',
    schema: mapUpdatedEventSchema,
  },
  [ChannelNames.tournamentCreated]: {
    name: ChannelNames.tournamentCreated,
    description: 'A tournament was created in the scheduled state.',
    schema: tournamentCreatedEventSchema,
  },
  [ChannelNames.tournamentActivated]: {
    name: ChannelNames.tournamentActivated,
    description: 'A scheduled tournament reached its start time and became active.',
    schema: tournamentActivatedEventSchema,
  },
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;

/** Event of channel `C` as the publisher passes it. */
export type EventInput<C extends ChannelName> = z.input<Channels[C]['schema']>;

/** Event of channel `C` after validation, as a subscriber receives it. */
export type EventPayload<C extends ChannelName> = z.output<Channels[C]['schema']>;

export const channelNames = Object.keys(channels) as ChannelName[];

export function isChannelName(value: string): value is ChannelName {
  return Object.hasOwn(channels, value);
}

/** Schema of the events of `channel`. */
export function eventSchema<C extends ChannelName>(channel: C): z.ZodType<EventPayload<C>> {
  return channels[channel].schema as unknown as z.ZodType<EventPayload<C>>;
}

/**
 * Redis stream that keeps the recent events of `channel` for replay. The
 * publisher appends every event here in the same script that publishes it,
 * and the entry id is the event's id for WebSocket clients.
 */
export function eventStreamKey(channel: ChannelName): string {
  return `events:${channel}`;
}
