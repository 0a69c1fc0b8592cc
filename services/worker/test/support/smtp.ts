import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  raw: string;
}

/** An SMTP reply the test server gives to RCPT TO instead of accepting it. */
export interface SmtpRejection {
  code: number;
  message: string;
}

/**
 * A real SMTP server on a loopback port for one test file. It keeps every
 * accepted e-mail, can reject recipients with a chosen reply, and can hold a
 * session at MAIL FROM until the test releases it.
 */
export class TestSmtpServer {
  readonly received: ReceivedEmail[] = [];
  /** Reply to RCPT TO; undefined accepts. */
  rejection: SmtpRejection | undefined;
  /** When set, MAIL FROM waits for this promise before it is accepted. */
  hold: Promise<void> | undefined;
  /** Number of MAIL FROM commands seen, accepted or not. */
  mailFromCount = 0;
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onMailFrom: (_address, _session, callback) => {
        this.mailFromCount += 1;
        const hold = this.hold;
        if (hold === undefined) {
          callback();
          return;
        }
        void hold.then(() => callback());
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.rejection === undefined) {
          callback();
          return;
        }
        const error = new Error(this.rejection.message) as Error & { responseCode: number };
        error.responseCode = this.rejection.code;
        callback(error);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
          this.received.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            subject,
            raw,
          });
          callback();
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  static async start(): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer();
    await new Promise<void>((resolve) => smtp.server.listen(0, '127.0.0.1', () => resolve()));
    smtp.port = (smtp.server.server.address() as AddressInfo).port;
    return smtp;
  }

  url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Accepts everything again and clears the received messages. */
  reset(): void {
    this.received.length = 0;
    this.rejection = undefined;
    this.hold = undefined;
    this.mailFromCount = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
