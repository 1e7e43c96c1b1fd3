/**
 * React adapter of the WebSocket service: one `SignalClient` for one visit to a room, shared by the
 * call and the chat (read through `useSignal`), closed on unmount. It presents the token of who is
 * in the call (the user or a guest: `useCallToken`).
 */
import { createContext, useContext, useEffect, useState } from "react";
import type { ReactNode } from "react";

import { useCallToken } from "../auth/IdentityContext";
import { SignalClient } from "./SignalClient";

/** Exported for tests, which provide a `SignalClient` on a fake socket. */
export const SignalContext = createContext<SignalClient | null>(null);

function socketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/ws`;
}

export function SignalProvider({ children }: { children: ReactNode }) {
  const callToken = useCallToken();
  const [signal, setSignal] = useState<SignalClient | null>(null);

  useEffect(() => {
    const client = new SignalClient({
      url: socketUrl(),
      token: callToken,
    });
    // The client lives exactly as long as this effect (StrictMode mounts it twice in development).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setSignal(client);
    return () => client.close();
  }, [callToken]);

  if (signal === null) return null;
  return <SignalContext.Provider value={signal}>{children}</SignalContext.Provider>;
}

export function useSignal(): SignalClient {
  const signal = useContext(SignalContext);
  if (signal === null) throw new Error("useSignal outside SignalProvider");
  return signal;
}
