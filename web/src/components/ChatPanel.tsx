/**
 * The chat panel: history (older pages on scroll), live messages grouped by sender with their
 * times and links, the outbox (Retry / Discard for a message refused for good), typing, composer.
 */
import { useEffect, useRef, useState } from "react";
import type { FormEvent, UIEvent } from "react";

import { useChat } from "../chat/ChatContext";
import { groupBySender, timeOfDay } from "../chat/format";
import type { Participant } from "../realtime/protocol";
import { MessageText } from "./MessageText";
import { RoleBadge } from "./RoleBadge";

function typingText(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.join(", ")} are typing…`;
}

export function ChatPanel({
  participants,
  selfUserId,
}: {
  participants: readonly Participant[];
  selfUserId: string;
}) {
  const { chat, store } = useChat();
  const [draft, setDraft] = useState("");
  const log = useRef<HTMLDivElement>(null);
  const latestSeq = chat.messages.at(-1)?.seq;

  useEffect(() => {
    store.setOpen(true);
    return () => store.setOpen(false);
  }, [store]);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [latestSeq, chat.outbox.length]);

  const send = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    store.send(text);
    setDraft("");
  };
  const scrolled = (event: UIEvent<HTMLDivElement>) => {
    if (event.currentTarget.scrollTop === 0 && chat.hasOlder) void store.loadOlder();
  };
  const names = chat.typing
    .map((id) => participants.find((p) => p.id === id)?.display_name)
    .filter((name): name is string => name !== undefined);

  return (
    <section className="side-panel chat" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      {chat.hasOlder && (
        <button type="button" onClick={() => void store.loadOlder()}>
          Load older messages
        </button>
      )}
      <div
        className="messages"
        ref={log}
        onScroll={scrolled}
        role="log"
        aria-label="Chat messages"
        tabIndex={0}
      >
        <ol>
          {groupBySender(chat.messages).map((group) =>
            group.messages.map((message, index) => (
              <li
                key={message.id}
                className={`${message.sender_id === selfUserId ? "mine" : "theirs"}${index > 0 ? " more" : ""}`}
                data-seq={message.seq}
              >
                {index === 0 && (
                  <span className="sender">
                    {message.sender_name} {message.sender_guest && <RoleBadge role="guest" />}
                  </span>
                )}
                <MessageText text={message.text} />
                <time className="time" dateTime={message.created_at}>
                  {timeOfDay(message.created_at)}
                </time>
              </li>
            )),
          )}
          {chat.outbox.map((message) => (
            <li key={message.clientId} className={`mine pending${message.failed ? " failed" : ""}`}>
              <span className="sender">You</span>
              <MessageText text={message.text} />
              <span className="muted">{message.error ?? "sending…"}</span>
              {message.failed && (
                <span className="outbox-actions">
                  <button type="button" onClick={() => store.retry(message.clientId)}>
                    Retry
                  </button>
                  <button type="button" onClick={() => store.discard(message.clientId)}>
                    Discard
                  </button>
                </span>
              )}
            </li>
          ))}
        </ol>
      </div>
      <p className="typing" aria-live="polite">
        {typingText(names)}
      </p>
      <form onSubmit={send} className="composer">
        <input
          aria-label="Message"
          autoFocus
          value={draft}
          maxLength={4000}
          onChange={(event) => {
            setDraft(event.target.value);
            if (event.target.value) store.typed();
            else store.stopTyping();
          }}
          placeholder="Write a message"
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}
