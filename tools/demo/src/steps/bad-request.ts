import { JobNames, QueueNames } from '@backbone/contracts';

import { expectStatus, jsonOf, type Problem } from '../api-client';
import { expectThat, type Step } from '../step';

/** Field the demo makes invalid, as a JSON pointer into the request body. */
const INVALID_POINTER = '#/data/to';

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Sends a `send-email` job whose recipient is not an e-mail address and
 * checks the api's response: 400 `validation_failed` as problem details that
 * point at the invalid field.
 */
export const badRequestStep: Step = {
  title: 'send an invalid job and read the error',

  async run(context) {
    const response = await context.api.send('POST', `/v1/queues/${QueueNames.sendEmail}/jobs`, {
      json: { name: JobNames.sendEmail, data: { to: 'not-an-address', subject: 'Invalid', text: 'Never sent' } },
    });
    expectStatus(response, 400);

    const contentType = response.headers.get('content-type') ?? 'none';
    const problem = jsonOf<Problem>(response);
    const fields = (problem.errors ?? []).map((error) => `${error.pointer ?? error.path}: ${error.detail}`);
    context.print(`${response.request} returned ${response.status} ${problem.code} (${contentType.split(';')[0]})`);
    context.print(`invalid fields: ${fields.join('; ') || 'none listed'}`);

    expectThat(
      contentType.startsWith(PROBLEM_CONTENT_TYPE),
      `the error has content type ${contentType}, expected ${PROBLEM_CONTENT_TYPE}`,
    );
    expectThat(problem.code === 'validation_failed', `the error code is ${problem.code}, expected validation_failed`);
    expectThat(
      (problem.errors ?? []).some((error) => error.pointer === INVALID_POINTER),
      `the error does not list the invalid field ${INVALID_POINTER}`,
    );
  },
};
