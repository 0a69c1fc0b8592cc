import { WebSocket } from 'ws';

import { CloseCodes } from './protocol';
import type { Topic } from './topics';

/** One topic a client follows. */
export interface Subscription {
  topic: Topic;
  /** True while missed events are being replayed; live events wait in `pending` meanwhile. */
  replaying: boolean;
  pending: OutgoingMessage[];
}

/** Message as text, or as UTF-8 bytes when it goes to many clients and is encoded once for all of them. */
export type OutgoingMessage = string | Buffer;

export interface ClientSessionOptions {
  /** Unsent bytes (socket buffer plus events waiting behind a replay) past which the client is cut off. */
  maxBufferedBytes: number;
  /** Called once when the session cuts the client off for reading too slowly. */
  onSlowClient: (session: ClientSession) => void;
}

/**
 * State of one authenticated WebSocket client: its subscriptions, its
 * heartbeat flag, and the bound on what may be queued for it. Memory per
 * client stays near `maxBufferedBytes` plus one message, because nothing is
 * queued once the bound is passed.
 */
export class ClientSession {
  readonly subscriptions = new Map<string, Subscription>();
  /** Cleared when a ping goes out and set again by the pong. */
  alive = true;
  private pendingBytes = 0;
  private cutOff = false;

  constructor(
    readonly socket: WebSocket,
    readonly id: number,
    private readonly options: ClientSessionOptions,
  ) {}

  /** Returns whether messages can still be written to the client. */
  isOpen(): boolean {
    return !this.cutOff && this.socket.readyState === WebSocket.OPEN;
  }

  /** Writes `message` unless the client is too far behind, which cuts it off. Returns whether it was written. */
  send(message: OutgoingMessage): boolean {
    if (!this.isOpen() || !this.withinLimit(message)) {
      return false;
    }
    this.socket.send(message, { binary: false });
    return true;
  }

  /**
   * Delivers a live event of `subscription`: written now, or kept until the
   * replay of that subscription has finished. Returns false when the event
   * was dropped because the client is gone or too slow.
   */
  deliver(subscription: Subscription, message: OutgoingMessage): boolean {
    if (!subscription.replaying) {
      return this.send(message);
    }
    if (!this.isOpen() || !this.withinLimit(message)) {
      return false;
    }
    subscription.pending.push(message);
    this.pendingBytes += Buffer.byteLength(message);
    return true;
  }

  /** Ends the replay of `subscription` and writes the live events that arrived meanwhile, in order. */
  finishReplay(subscription: Subscription): void {
    const pending = subscription.pending;
    subscription.pending = [];
    subscription.replaying = false;
    for (const message of pending) {
      this.pendingBytes -= Buffer.byteLength(message);
    }
    for (const message of pending) {
      if (!this.send(message)) {
        return;
      }
    }
  }

  /** Returns whether the session cut the client off for reading too slowly. */
  wasCutOff(): boolean {
    return this.cutOff;
  }

  /** Bytes written but not yet taken by the client, plus events waiting behind a replay. */
  backlogBytes(): number {
    return this.socket.bufferedAmount + this.pendingBytes;
  }

  private withinLimit(message: OutgoingMessage): boolean {
    if (this.backlogBytes() + Buffer.byteLength(message) <= this.options.maxBufferedBytes) {
      return true;
    }
    this.cutOff = true;
    this.options.onSlowClient(this);
    this.socket.close(
      CloseCodes.slowClient,
      `Client too slow: more than ${this.options.maxBufferedBytes} bytes unread`,
    );
    return false;
  }
}
