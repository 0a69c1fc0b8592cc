import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

import type { Logger } from '@backbone/platform';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import { type TokenVerifier, tokenOf } from './auth';
import { ClientSession } from './client-session';
import type { CloseReason, RealtimeMetrics } from './metrics';
import { CloseCodes, clientMessageSchema, ErrorCodes, errorMessage, REALTIME_PATH } from './protocol';
import type { SubscriptionManager } from './subscriptions';

export interface GatewayOptions {
  tokens: TokenVerifier;
  subscriptions: SubscriptionManager;
  metrics: RealtimeMetrics;
  logger: Logger;
  maxConnections: number;
  maxMessageBytes: number;
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
}

/** Time left for clients to reply to the shutdown close frame before they are dropped. */
const SHUTDOWN_CLOSE_MARGIN_MS = 500;

/**
 * The WebSocket side of the service: upgrades on `/v1/realtime`,
 * authentication, connection and message limits, heartbeats, and the
 * shutdown that sends every client 1012 so it reconnects elsewhere.
 */
export class Gateway {
  private readonly server: WebSocketServer;
  private readonly sessions = new Set<ClientSession>();
  private readonly logger: Logger;
  private heartbeat: NodeJS.Timeout | undefined;
  private nextSessionId = 1;
  private stopping = false;

  constructor(private readonly options: GatewayOptions) {
    this.logger = options.logger.child({ module: 'gateway' });
    // perMessageDeflate stays off: compression costs memory per connection and CPU per message.
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
    });
  }

  /** Takes over WebSocket upgrades of `http` and starts the heartbeats. */
  attach(http: Server): void {
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head);
    });
    this.heartbeat = setInterval(() => this.checkHeartbeats(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Open, authenticated connections. */
  connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Closes every connection with 1012 so clients reconnect to another
   * instance, waits for them to go until shortly before `deadline`, then
   * drops the rest.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);

    const closed = [...this.sessions].map(
      (session) =>
        new Promise<void>((resolve) => {
          session.socket.once('close', () => resolve());
          session.socket.close(CloseCodes.serviceRestart, 'Service restarting; reconnect');
        }),
    );
    this.options.metrics.closed.inc({ reason: 'shutdown' }, closed.length);
    this.logger.info('Closing client connections for shutdown', { connections: closed.length });

    const waitMs = Math.max(deadline - Date.now() - SHUTDOWN_CLOSE_MARGIN_MS, 0);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);

    for (const session of this.sessions) {
      session.socket.terminate();
    }
    this.server.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== REALTIME_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.stopping) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, url));
  }

  /**
   * Checks the token and the connection limit after the handshake rather
   * than before, because a browser receives a close code and reason but never the
   * HTTP status of a rejected upgrade.
   */
  private accept(ws: WebSocket, request: IncomingMessage, url: URL): void {
    ws.on('error', (error) => this.onSocketError(error));

    const token = tokenOf(request, url);
    if (token === undefined) {
      this.reject(
        ws,
        CloseCodes.unauthorized,
        'Missing token: send Authorization: Bearer <token> or ?token=',
        'unauthorized',
      );
      return;
    }
    if (!this.options.tokens.verify(token)) {
      this.reject(ws, CloseCodes.unauthorized, 'Invalid token', 'unauthorized');
      return;
    }
    if (this.sessions.size >= this.options.maxConnections) {
      this.reject(
        ws,
        CloseCodes.tryAgainLater,
        `Connection limit of ${this.options.maxConnections} reached; retry later`,
        'connection_limit',
      );
      return;
    }

    const session = new ClientSession(ws, this.nextSessionId++, {
      maxBufferedBytes: this.options.maxBufferedBytes,
      onSlowClient: (slow) => {
        this.options.metrics.closed.inc({ reason: 'slow_client' });
        this.logger.warn('Slow client disconnected', { sessionId: slow.id, bufferedBytes: slow.backlogBytes() });
      },
    });
    this.sessions.add(session);
    this.options.metrics.connections.inc();

    ws.on('pong', () => {
      session.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onMessage(session, data, isBinary));
    ws.on('close', () => {
      this.sessions.delete(session);
      this.options.subscriptions.removeSession(session);
      this.options.metrics.connections.dec();
    });
  }

  private reject(ws: WebSocket, code: number, reason: string, metric: CloseReason): void {
    this.options.metrics.closed.inc({ reason: metric });
    this.logger.info('Connection rejected', { reason: metric });
    ws.close(code, reason);
  }

  private onMessage(session: ClientSession, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      session.send(errorMessage(ErrorCodes.invalidMessage, 'Binary messages are not supported; send JSON text'));
      return;
    }

    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      session.send(errorMessage(ErrorCodes.invalidMessage, 'Message is not valid JSON'));
      return;
    }

    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      session.send(errorMessage(ErrorCodes.invalidMessage, `Invalid message: ${detail}`));
      return;
    }

    const message = parsed.data;
    if (message.type === 'subscribe') {
      void this.options.subscriptions.subscribe(session, message).catch((error: unknown) => {
        this.logger.error('Subscribe failed', { sessionId: session.id, error });
      });
    } else {
      this.options.subscriptions.unsubscribe(session, message.topic);
    }
  }

  private checkHeartbeats(): void {
    for (const session of this.sessions) {
      if (!session.alive) {
        this.options.metrics.closed.inc({ reason: 'heartbeat_timeout' });
        this.logger.info('Connection without heartbeat dropped', { sessionId: session.id });
        session.socket.terminate();
        continue;
      }
      session.alive = false;
      session.socket.ping();
    }
  }

  /** Logs a protocol error; `ws` has already closed the socket, with 1009 for an oversized message. */
  private onSocketError(error: Error & { code?: string }): void {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.options.metrics.closed.inc({ reason: 'message_too_big' });
      this.logger.info('Connection closed for an oversized message', { maxMessageBytes: this.options.maxMessageBytes });
      return;
    }
    this.logger.debug('WebSocket error', { error: error.message });
  }
}
