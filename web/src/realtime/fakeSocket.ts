/** Test double of a browser WebSocket, driven from the server's side by the tests. */
import type { ClientMessage, ServerMessage } from "./protocol";

export class FakeSocket {
  readonly url: string;
  readonly sent: ClientMessage[] = [];
  closedByClient = false;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }

  close(): void {
    this.closedByClient = true;
  }

  /** The server accepted the connection. */
  open(): void {
    this.onopen?.(new Event("open"));
  }

  /** The server sent a message. */
  deliver(message: ServerMessage): void {
    this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(message) }));
  }

  /** The connection dropped (server restart, network loss). */
  drop(code = 1006): void {
    this.onclose?.(new CloseEvent("close", { code }));
  }

  sentOfType<T extends ClientMessage["type"]>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}

/** Sockets created so far, newest last, and the factory to hand to SignalClient. */
export function socketFactory(): { sockets: FakeSocket[]; create: (url: string) => WebSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    create: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
  };
}
