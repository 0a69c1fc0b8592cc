import { QueueNames, queues } from '@backbone/contracts';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';

/*
 * The thinnest enqueue endpoint a team could write with Express and BullMQ:
 * parse the JSON body, call Queue.add on a default ioredis connection, respond
 * 202 with the job id. No validation, authentication, logging or metrics.
 * It shows what one Redis round trip per request costs next to the echo
 * endpoint. Started as a child process on PORT; sends its parent an IPC
 * message once it listens.
 */

const connection = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
const queue = new Queue(QueueNames.scheduler, {
  connection,
  prefix: process.env.BULLMQ_PREFIX ?? 'bull',
  defaultJobOptions: queues[QueueNames.scheduler].defaultJobOptions,
});

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: 64 * 1024 }));
app.post('/jobs', async (request, response) => {
  const body = request.body as { name: string; data: unknown };
  const job = await queue.add(body.name, body.data);
  response.status(202).json({ id: job.id, name: body.name, state: 'waiting' });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ ready: true });
});

process.on('SIGTERM', () =>
  server.close(() => {
    void queue.close().then(() => {
      connection.disconnect();
      process.exit(0);
    });
  }),
);
