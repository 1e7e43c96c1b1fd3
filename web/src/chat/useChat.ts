/** React adapter of the chat store of the current call. */
import { useSyncExternalStore } from "react";

import { useCallServices } from "../rtc/CallContext";
import type { ChatSnapshot, ChatStore } from "./ChatStore";

export function useChat(): { chat: ChatSnapshot; store: ChatStore } {
  const { chat: store } = useCallServices();
  const chat = useSyncExternalStore(
    (listener) => store.on("change", listener),
    () => store.snapshot,
  );
  return { chat, store };
}
