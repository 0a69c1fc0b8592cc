import { type ChannelName, ChannelNames, channelNames, entityIdSchema, isChannelName } from '@backbone/contracts';

/*
 * Topics a client can subscribe to: a whole channel (`map:completed`), or one
 * entity (`map:{id}`, `tournament:{id}`), which receives every event of the
 * channels below whose payload names that entity. This table is the only
 * place that maps payload fields to entity topics.
 */

interface EntityKind {
  /** Payload field, per channel, that contains the id of this kind of entity. */
  fields: Partial<Record<ChannelName, string>>;
}

const entityKinds = {
  map: {
    fields: {
      [ChannelNames.mapCompleted]: 'mapId',
      [ChannelNames.mapUpdated]: 'mapId',
    },
  },
  tournament: {
    fields: {
      [ChannelNames.tournamentCreated]: 'tournamentId',
      [ChannelNames.tournamentActivated]: 'tournamentId',
      // A completed map of a tournament is news for that tournament's followers too.
      [ChannelNames.mapCompleted]: 'tournamentId',
    },
  },
} as const satisfies Record<string, EntityKind>;

export type EntityKindName = keyof typeof entityKinds;

/** A validated topic with the channels whose events it can receive. */
export interface Topic {
  name: string;
  channels: readonly ChannelName[];
  /** Present for an entity topic: which entity of which kind. */
  entity?: { kind: EntityKindName; id: string };
}

/**
 * Parses a topic name. A channel name wins over an entity topic, so an
 * entity whose id equals an event name of its kind (a map called
 * `completed`) cannot be followed on its own. Returns `undefined` for
 * anything else.
 */
export function parseTopic(name: string): Topic | undefined {
  if (isChannelName(name)) {
    return { name, channels: [name] };
  }

  const separator = name.indexOf(':');
  if (separator < 0) {
    return undefined;
  }
  const kind = name.slice(0, separator);
  const id = name.slice(separator + 1);
  if (!Object.hasOwn(entityKinds, kind) || !entityIdSchema.safeParse(id).success) {
    return undefined;
  }

  const entityKind = kind as EntityKindName;
  const channels = Object.keys(entityKinds[entityKind].fields) as ChannelName[];
  return { name, channels, entity: { kind: entityKind, id } };
}

/** Names of every topic that receives `payload`, published on `channel`: the channel and each entity it names. */
export function topicsOfEvent(channel: ChannelName, payload: unknown): string[] {
  const topics: string[] = [channel];
  if (typeof payload !== 'object' || payload === null) {
    return topics;
  }

  for (const [kind, { fields }] of Object.entries(entityKinds)) {
    const field = (fields as Partial<Record<ChannelName, string>>)[channel];
    const id = field === undefined ? undefined : (payload as Record<string, unknown>)[field];
    if (typeof id === 'string') {
      topics.push(`${kind}:${id}`);
    }
  }
  return topics;
}

/** Returns whether `payload`, published on `channel`, belongs to `topic`. */
export function topicMatches(topic: Topic, channel: ChannelName, payload: unknown): boolean {
  return topicsOfEvent(channel, payload).includes(topic.name);
}

/** Examples of valid topics, listed in error messages. */
export const topicExamples = [...channelNames, ...Object.keys(entityKinds).map((kind) => `${kind}:{id}`)];
