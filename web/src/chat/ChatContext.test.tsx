import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReactNode } from "react";

import { ApiProvider } from "../api/ApiContext";
import { ApiClient } from "../api/client";
import { markSignedIn } from "../api/fakeApi";
import { AuthProvider, useAuth } from "../auth/AuthContext";
import { UserIdentityProvider } from "../auth/IdentityContext";
import { socketFactory } from "../realtime/fakeSocket";
import type { FakeSocket } from "../realtime/fakeSocket";
import type { ChatMessage } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import { SignalClient } from "../realtime/SignalClient";
import { SignalContext } from "../realtime/SignalContext";
import { ChatProvider, useChat } from "./ChatContext";
import { ChatStore } from "./ChatStore";

const ROOM = { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-ann" };
const ANN = { id: "u-ann", display_name: "Ann", email: "ann@example.org", created_at: "" };

function message(seq: number, sender: string, clientId = `c${seq}`, text = `message ${seq}`) {
  return {
    id: `m${seq}`,
    room_id: ROOM.id,
    seq,
    sender_id: sender,
    sender_name: sender === ANN.id ? "Ann" : "Bob",
    client_id: clientId,
    text,
    created_at: "2026-11-28T12:00:00+00:00",
  } satisfies ChatMessage;
}

/** What a component under the provider sees, and a button to send. */
function ChatView() {
  const { chat, store } = useChat();
  return (
    <>
      <ol aria-label="messages">
        {chat.messages.map((m) => (
          <li key={m.id}>{m.text}</li>
        ))}
      </ol>
      <p>unread: {chat.unread}</p>
      <button type="button" onClick={() => store.send("hello")}>
        Send
      </button>
    </>
  );
}

function SignedIn({ children }: { children: ReactNode }) {
  return useAuth().state.status === "signed-in" ? children : null;
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

describe("ChatProvider", () => {
  let sockets: FakeSocket[];
  let signal: SignalClient;

  beforeEach(() => {
    markSignedIn();
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: string) =>
        input === "/api/auth/refresh"
          ? Response.json({
              access_token: "token",
              expires_in: 900,
              token_type: "bearer",
              user: ANN,
            })
          : Response.json({ error: { code: "not_found", message: "no" } }, { status: 404 }),
      ),
    );
    const factory = socketFactory();
    sockets = factory.sockets;
    signal = new SignalClient({
      url: "ws://test/ws",
      token: async () => "token",
      policy: new BackoffWithJitter(() => 0),
      createSocket: factory.create,
    });
  });

  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
    signal.close();
    vi.unstubAllGlobals();
  });

  it("gives the room's chat to its components over the room's WebSocket service", async () => {
    const { unmount } = render(
      <ApiProvider api={new ApiClient()}>
        <AuthProvider>
          <SignalContext value={signal}>
            <SignedIn>
              <UserIdentityProvider>
                <ChatProvider>
                  <ChatView />
                </ChatProvider>
              </UserIdentityProvider>
            </SignedIn>
          </SignalContext>
        </AuthProvider>
      </ApiProvider>,
    );
    await screen.findByText("unread: 0");

    signal.connect();
    const socket = sockets[0]!;
    socket.open();
    await settle();
    socket.deliver({
      type: "authenticated",
      user_id: ANN.id,
      display_name: "Ann",
      expires_in: 900,
    });
    await settle();
    const joining = signal.join({
      room: ROOM.code,
      media: { audio: true, video: true, screen: false },
    });
    await settle();
    socket.deliver({
      type: "joined",
      ref: socket.sentOfType("join")[0]?.ref,
      room: ROOM,
      participant_id: "p-ann",
      participants: [],
      messages: [message(1, "u-bob")],
      more_messages: false,
      ticket: "ticket",
      resume: "resume",
      reconnect_grace: 30,
    });
    await act(() => joining);
    expect(await screen.findByText("message 1")).toBeTruthy();

    act(() => socket.deliver({ type: "chat", message: message(2, "u-bob") }));
    expect(screen.getByText("message 2")).toBeTruthy();
    expect(screen.getByText("unread: 1")).toBeTruthy();

    fireEvent.click(screen.getByText("Send"));
    await settle();
    const sent = socket.sentOfType("chat")[0]!;
    expect(sent.text).toBe("hello");
    act(() =>
      socket.deliver({
        type: "ack",
        request: "chat",
        ref: sent.ref,
        message: message(3, ANN.id, sent.client_id, "hello"),
      }),
    );
    expect(await screen.findByText("hello")).toBeTruthy();
    expect(screen.getByText("unread: 1")).toBeTruthy();

    // The store lives as long as the provider.
    const dispose = vi.spyOn(ChatStore.prototype, "dispose");
    unmount();
    expect(dispose).toHaveBeenCalledOnce();
  });
});
