import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findFreePort } from '@backbone/redis-harness';

import { MailCatcher } from '../src/mail-catcher';

/** Sends one message over plain SMTP and resolves with the server's replies. */
async function sendMail(port: number, to: string, subject: string, body: string): Promise<string[]> {
  const commands = [
    'EHLO test.local',
    'MAIL FROM:<game@example.com>',
    `RCPT TO:<${to}>`,
    'DATA',
    `From: game@example.com\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\n${body}\r\n.`,
    'QUIT',
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const replies: string[] = [];
    let next = 0;
    socket.on('data', (data) => {
      replies.push(data.toString());
      const command = commands[next];
      next += 1;
      if (command !== undefined) {
        socket.write(`${command}\r\n`);
      }
    });
    socket.on('end', () => resolve(replies));
    socket.on('error', reject);
  });
}

describe('MailCatcher', () => {
  let dir: string;
  let catcher: MailCatcher;
  let smtpPort: number;
  let webPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mail-catcher-'));
    catcher = new MailCatcher(dir);
    smtpPort = await findFreePort();
    webPort = await findFreePort();
    await catcher.start(smtpPort, webPort);
  });

  afterAll(async () => {
    await catcher.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a received message as a file', async () => {
    const replies = await sendMail(smtpPort, 'player@example.com', 'Cup started', 'Good luck');

    expect(replies.join('')).toContain('250');
    expect(readdirSync(dir).filter((file) => file.endsWith('.eml'))).toHaveLength(1);
  });

  it('lists messages as JSON', async () => {
    const response = await fetch(`http://127.0.0.1:${webPort}/messages.json`);
    const messages = (await response.json()) as { subject: string; to: string; text: string }[];

    expect(response.status).toBe(200);
    expect(messages[0]).toMatchObject({ subject: 'Cup started', to: 'player@example.com' });
    expect(messages[0]?.text.trim()).toBe('Good luck');
  });

  it('shows messages on a web page', async () => {
    const page = await (await fetch(`http://127.0.0.1:${webPort}/`)).text();

    expect(page).toContain('Caught e-mail (1)');
    expect(page).toContain('Cup started');
  });

  it('answers 404 for an unknown message', async () => {
    const response = await fetch(`http://127.0.0.1:${webPort}/messages/nope`);

    expect(response.status).toBe(404);
  });
});
