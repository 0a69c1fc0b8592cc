import { JobNames, QueueNames } from '@backbone/contracts';
import { type Logger, readJob, redactText } from '@backbone/platform';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Transporter } from 'nodemailer';

import { defineProcessor, type Processor } from '../registry';
import { renderEmailTemplate, TemplateError } from './email-templates';

export interface SendEmailProcessorDeps {
  redis: Redis;
  transport: Transporter;
  /** Sender of every e-mail (`EMAIL_FROM`). */
  from: string;
  /** BullMQ prefix, part of the sent-marker key so two deployments on one Redis do not mix. */
  prefix: string;
  logger: Logger;
}

/**
 * How long the marker of a sent e-mail is kept. It outlives the contract's
 * retention of failed jobs (seven days), so any retry of a job still in
 * Redis finds it.
 */
const SENT_MARKER_TTL_SECONDS = 8 * 24 * 3600;

/**
 * Key of the marker that job `job` already sent its e-mail. The job's creation
 * time keeps apart ids that BullMQ reuses after a queue was emptied.
 */
export function sentMarkerKey(prefix: string, job: Pick<Job, 'id' | 'timestamp'>): string {
  return `${prefix}:email-sent:${QueueNames.sendEmail}:${job.id}:${job.timestamp}`;
}

/**
 * Sends one e-mail over SMTP, from a template or from the given subject and
 * body. After a successful send it writes a marker in Redis, so a retry of
 * the same job (after a crash or a failure later in the attempt) does not
 * send it again. A 5xx reply fails the job without retries; a 4xx reply or a
 * connection error is retried with the queue's backoff.
 *
 * NOTE: a crash between the server's acceptance and the marker write, a few
 * milliseconds, still lets a retry send the e-mail a second time.
 */
export function sendEmailProcessor(deps: SendEmailProcessorDeps): Processor {
  const logger = deps.logger.child({ module: 'send-email' });

  return defineProcessor(QueueNames.sendEmail, JobNames.sendEmail, async (job) => {
    const { data } = readJob(QueueNames.sendEmail, JobNames.sendEmail, job);
    const marker = sentMarkerKey(deps.prefix, job);

    if ((await deps.redis.exists(marker)) === 1) {
      logger.info('E-mail already sent by an earlier attempt; not sending it again', {
        jobId: job.id,
        queue: QueueNames.sendEmail,
      });
      return { sent: false, reason: 'already sent' };
    }

    let content: { subject: string; text?: string; html?: string };
    if (data.template === undefined) {
      content = { subject: data.subject!, text: data.text, html: data.html };
    } else {
      try {
        content = renderEmailTemplate(data.template, data.variables);
      } catch (error) {
        if (error instanceof TemplateError) {
          throw new UnrecoverableError(error.message);
        }
        throw error;
      }
    }

    let messageId: string;
    try {
      const info = await deps.transport.sendMail({ from: deps.from, to: data.to, ...content });
      messageId = String(info.messageId ?? '');
    } catch (error) {
      throw classifySmtpError(error);
    }

    await deps.redis.set(marker, messageId, 'EX', SENT_MARKER_TTL_SECONDS);
    return { sent: true, messageId };
  });
}

/** Turns a nodemailer error into a permanent failure for a 5xx reply and a retryable one otherwise. */
export function classifySmtpError(error: unknown): Error {
  const details = error as { responseCode?: number; code?: string; message?: string };
  const reply = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  const reason = redactText(String(details.message ?? error)).split('\n')[0];

  if (reply !== undefined && reply >= 500 && reply < 600) {
    return new UnrecoverableError(`SMTP server rejected the e-mail permanently (reply ${reply}): ${reason}`);
  }
  const what = reply === undefined ? (details.code ?? 'connection error') : `reply ${reply}`;
  return new Error(`SMTP send failed temporarily (${what}); it will be retried: ${reason}`);
}
