/**
 * WebSocket client for /api/v1/live with automatic reconnection.
 *
 * - Reconnects with exponential backoff (with jitter) whenever the socket closes.
 * - Calls `onReady` on every `hello` frame, i.e. after the first connect and after
 *   every reconnect, so callers can re-fetch state and not miss anything; and on a
 *   `resync` frame, which the server sends when this socket fell behind and frames
 *   were dropped.
 * - Sends a `ping` periodically and recycles the socket when nothing has been
 *   received for a while (half-open connections after sleep or network changes).
 */
import { ref, type Ref } from 'vue';
import type { LiveFrame } from './types';

export type LiveStatus = 'connecting' | 'open' | 'closed';

export interface LiveHandlers {
  onFrame: (frame: LiveFrame) => void;
  onReady?: () => void;
}

const PING_INTERVAL_MS = 25_000;
const STALE_AFTER_MS = 60_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

export function liveUrl(token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/v1/live?token=${encodeURIComponent(token)}`;
}

function isLiveFrame(value: unknown): value is LiveFrame {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

export class LiveConnection {
  readonly status: Ref<LiveStatus> = ref('closed');

  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;

  constructor(
    private readonly token: () => string | null,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000);
    }
    this.status.value = 'closed';
  }

  private readonly onOnline = (): void => {
    if (this.status.value !== 'open') this.reconnectNow();
  };

  private readonly onVisible = (): void => {
    if (document.visibilityState !== 'visible') return;
    if (this.status.value !== 'open' || Date.now() - this.lastFrameAt > STALE_AFTER_MS) {
      this.reconnectNow();
    }
  };

  private reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.dropSocket();
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.clearTimers();
    const token = this.token();
    if (!token) {
      this.status.value = 'closed';
      return;
    }
    this.status.value = 'connecting';
    let socket: WebSocket;
    try {
      socket = new WebSocket(liveUrl(token));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.lastFrameAt = Date.now();

    socket.onmessage = (event: MessageEvent) => {
      this.lastFrameAt = Date.now();
      if (typeof event.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!isLiveFrame(frame)) return;
      if (frame.type === 'hello') {
        this.attempt = 0;
        this.status.value = 'open';
        this.startPing();
        this.handlers.onReady?.();
      } else if (frame.type === 'resync') {
        this.handlers.onReady?.();
        return;
      }
      this.handlers.onFrame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // A close event always follows; reconnection is handled there.
    };
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    if (this.stopped) return;
    this.status.value = 'connecting';
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrameAt > STALE_AFTER_MS) {
        this.dropSocket();
        this.scheduleReconnect();
        return;
      }
      socket.send(JSON.stringify({ type: 'ping' }));
    }, PING_INTERVAL_MS);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    if (this.pingTimer) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
  }
}
