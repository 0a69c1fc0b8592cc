import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';

import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A caught message as the web page and `/messages.json` list it. */
export interface CaughtMessage {
  id: string;
  receivedAt: string;
  subject: string;
  to: string;
  text: string;
}

/** Largest message the catcher accepts; development e-mail is small. */
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

/**
 * SMTP server for development that keeps every message as an `.eml` file
 * and shows them on a small web page, so e-mail sent by the worker can be
 * read without a real mailbox. It accepts any sender and recipient.
 */
export class MailCatcher {
  private readonly smtp: SMTPServer;
  private readonly web: Server;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      size: MAX_MESSAGE_BYTES,
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`;
          writeFile(join(this.dir, name), Buffer.concat(chunks)).then(() => callback(), callback);
        });
      },
    });
    this.web = createServer((request, response) => {
      this.respond(request.url ?? '/')
        .then(({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body))
        .catch((error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)));
    });
  }

  /** Starts both servers; a port in use is reported with the variable that moves it. */
  async start(smtpPort: number, webPort: number): Promise<void> {
    await listenOn(this.smtp.server, () => this.smtp.listen(smtpPort, '127.0.0.1'), smtpPort, 'MAIL_SMTP_PORT');
    await listenOn(this.web, () => this.web.listen(webPort, '127.0.0.1'), webPort, 'MAIL_WEB_PORT');
  }

  /** Stops both servers; safe to call when one of them never started listening. */
  async stop(): Promise<void> {
    if (this.smtp.server.listening) {
      await new Promise<void>((resolve) => this.smtp.close(() => resolve()));
    }
    if (this.web.listening) {
      this.web.closeAllConnections();
      await new Promise<void>((resolve) => this.web.close(() => resolve()));
    }
  }

  /** Caught messages, newest first. */
  async list(): Promise<CaughtMessage[]> {
    const files = (await readdir(this.dir))
      .filter((file) => file.endsWith('.eml'))
      .sort()
      .reverse();
    return Promise.all(
      files.map(async (file) => {
        const parsed = await simpleParser(await readFile(join(this.dir, file)));
        const to = Array.isArray(parsed.to)
          ? parsed.to.map((address) => address.text).join(', ')
          : (parsed.to?.text ?? '');
        return {
          id: file.replace(/\.eml$/, ''),
          receivedAt: (parsed.date ?? new Date()).toISOString(),
          subject: parsed.subject ?? '',
          to,
          text: parsed.text ?? '',
        };
      }),
    );
  }

  private async respond(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = new URL(url, 'http://localhost').pathname;

    if (path === '/messages.json') {
      return { status: 200, type: 'application/json', body: JSON.stringify(await this.list()) };
    }

    const raw = /^\/messages\/([A-Za-z0-9-]+)$/.exec(path);
    if (raw !== null) {
      try {
        return {
          status: 200,
          type: 'text/plain; charset=utf-8',
          body: await readFile(join(this.dir, `${raw[1]}.eml`), 'utf8'),
        };
      } catch {
        return { status: 404, type: 'text/plain', body: 'Message not found\n' };
      }
    }

    if (path === '/') {
      return { status: 200, type: 'text/html; charset=utf-8', body: renderPage(await this.list()) };
    }
    return { status: 404, type: 'text/plain', body: 'Not found\n' };
  }
}

async function listenOn(server: NetServer, listen: () => void, port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use; set ${variable} to a free port.`)
          : error,
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    listen();
  });
}

function renderPage(messages: CaughtMessage[]): string {
  const rows = messages
    .map(
      (message) =>
        `<tr><td>${escapeHtml(message.receivedAt)}</td><td>${escapeHtml(message.to)}</td>` +
        `<td><a href="/messages/${message.id}">${escapeHtml(message.subject || '(no subject)')}</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Caught e-mail</title>
<style>body{font-family:sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:left}</style></head>
<body><h1>Caught e-mail (${messages.length})</h1>
<table><tr><th>received</th><th>to</th><th>subject</th></tr>
${rows}
</table></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
