import { JobNames, QueueNames } from '@backbone/contracts';

import { expectStatus, fetchFully, jsonOf } from '../api-client';
import { followJob } from '../jobs';
import { type Step, waitFor } from '../step';

/** A message as the mail catcher's `/messages.json` lists it. */
interface CaughtMessage {
  id: string;
  subject: string;
}

/** Recipient of the demo e-mail; the `.test` domain is reserved and never delivers anywhere real. */
const DEMO_RECIPIENT = 'player@demo.test';

/**
 * Queues a `send-email` job through the api, follows it, and reads the mail
 * catcher's message list until a message with the demo's subject is there.
 */
export const emailStep: Step = {
  title: 'send an e-mail and find it in the mail catcher',

  async run(context) {
    const subject = `Backbone demo ${context.runId}`;
    const { json: accepted } = await context.api.sendExpecting<{ id: string; statusUrl: string }>(
      202,
      'POST',
      `/v1/queues/${QueueNames.sendEmail}/jobs`,
      {
        json: {
          name: JobNames.sendEmail,
          data: {
            to: DEMO_RECIPIENT,
            subject,
            text: 'Sent by npm run demo through the api, the queue and the worker.',
          },
        },
      },
    );
    context.print(`queued e-mail "${subject}": job ${accepted.id} in queue ${QueueNames.sendEmail}`);

    await followJob(context, accepted.statusUrl);

    const listUrl = `${context.config.MAIL_URL}/messages.json`;
    const caught = await waitFor(
      async () => {
        const response = await fetchFully(listUrl, {}, { what: 'mail catcher', variable: 'MAIL_URL' });
        expectStatus(response, 200);
        return jsonOf<CaughtMessage[]>(response).find((message) => message.subject === subject);
      },
      {
        timeoutMs: context.config.DEMO_WAIT_TIMEOUT_MS,
        timeoutMessage: () =>
          `no message with subject "${subject}" at ${listUrl} within ${context.config.DEMO_WAIT_TIMEOUT_MS} ms; ` +
          "does the worker's SMTP_URL point at this mail catcher?",
      },
    );
    context.print(`the mail catcher received "${caught.subject}" as message ${caught.id}`);
  },
};
