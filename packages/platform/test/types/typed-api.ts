/*
 * Compile-time checks of the typed producer and publisher: `tsc -p
 * tsconfig.test.json` fails when a `@ts-expect-error` line below compiles,
 * which would mean a wrong queue, job name or payload slipped through.
 * Nothing here runs.
 */
import { ChannelNames, JobNames, QueueNames } from '@backbone/contracts';
import type { EventPublisher, JobProducer } from '@backbone/platform';

export async function typedProducer(producer: JobProducer): Promise<void> {
  await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, { mapId: 'm1', sourceKey: 'a.jpg' });
  await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, { to: 'a@example.com', subject: 's', text: 't' });
  await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {});

  // @ts-expect-error: the queue is not declared in the contracts.
  await producer.enqueue('video-processing', JobNames.mapImage, { mapId: 'm1', sourceKey: 'a.jpg' });

  // @ts-expect-error: send-email is not a job of image-processing.
  await producer.enqueue(QueueNames.imageProcessing, JobNames.sendEmail, { to: 'a@example.com' });

  // @ts-expect-error: mapId must be a string.
  await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, { mapId: 1, sourceKey: 'a.jpg' });

  // @ts-expect-error: sourceKey is required.
  await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, { mapId: 'm1' });

  // @ts-expect-error: activate-tournaments takes no fields.
  await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, { force: true });
}

export async function typedPublisher(publisher: EventPublisher): Promise<void> {
  const timestamp = new Date().toISOString();
  await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 't1', timestamp });

  // @ts-expect-error: the channel is not declared in the contracts.
  await publisher.publish('map:deleted', { mapId: 'm1', timestamp });

  // @ts-expect-error: tournament:activated needs a tournament id, not a map id.
  await publisher.publish(ChannelNames.tournamentActivated, { mapId: 'm1', timestamp });

  // @ts-expect-error: changes must list known parts of a map.
  await publisher.publish(ChannelNames.mapUpdated, { mapId: 'm1', changes: ['colour'], timestamp });
}
