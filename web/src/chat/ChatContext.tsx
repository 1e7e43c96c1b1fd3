/**
 * The Chat context: the `ChatStore` of the current room, on the room's WebSocket service
 * (`SignalProvider`) and the API's history pages, created for one room visit and disposed of on
 * unmount. `useChat` gives its snapshot (messages, outbox, typing, unread) and the store to act on
 * (send, typed, loadOlder, setOpen).
 */
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { ReactNode } from "react";

import { useApi } from "../api/ApiContext";
import type { MessagePage } from "../api/types";
import { useIdentity } from "../auth/IdentityContext";
import { useSignal } from "../realtime/SignalContext";
import { ChatStore } from "./ChatStore";
import type { ChatSnapshot } from "./ChatStore";

const ChatContext = createContext<ChatStore | null>(null);

export function ChatProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const signal = useSignal();
  const identity = useIdentity();
  const [store, setStore] = useState<ChatStore | null>(null);

  useEffect(() => {
    // A guest's credential opens the call only: the history before they came is not theirs to page.
    const history =
      identity.kind === "guest"
        ? async (): Promise<MessagePage> => ({ messages: [], next_before: null })
        : (roomId: string, before: number | undefined) => api.messages(roomId, before);
    const chat = new ChatStore(signal, history, identity.id);
    // The store lives exactly as long as this effect (StrictMode mounts it twice in development).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setStore(chat);
    return () => chat.dispose();
  }, [api, signal, identity.kind, identity.id]);

  if (store === null) return null;
  return <ChatContext.Provider value={store}>{children}</ChatContext.Provider>;
}

export function useChat(): { chat: ChatSnapshot; store: ChatStore } {
  const store = useContext(ChatContext);
  if (store === null) throw new Error("useChat outside ChatProvider");
  const chat = useSyncExternalStore(
    (listener) => store.on("change", listener),
    () => store.snapshot,
  );
  return { chat, store };
}
