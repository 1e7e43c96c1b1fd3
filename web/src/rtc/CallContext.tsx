/**
 * React adapter of the call: creates the services for one room visit (WebSocket service, local
 * media, call, chat), hands them to the components, and releases them on unmount.
 */
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { ReactNode } from "react";

import { useApi, useUser } from "../auth/AuthContext";
import { ChatStore } from "../chat/ChatStore";
import { SignalClient } from "../realtime/SignalClient";
import { Call } from "./Call";
import type { CallSnapshot } from "./Call";
import { LocalMedia } from "./LocalMedia";
import type { LocalMediaSnapshot } from "./LocalMedia";

export interface CallServices {
  media: LocalMedia;
  signal: SignalClient;
  call: Call;
  chat: ChatStore;
}

const CallContext = createContext<CallServices | null>(null);

function socketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/ws`;
}

export function CallProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const user = useUser();
  const [services, setServices] = useState<CallServices | null>(null);

  useEffect(() => {
    const media = new LocalMedia();
    const signal = new SignalClient({
      url: socketUrl(),
      token: async (fresh) => (fresh ? (await api.refresh()).access_token : api.token()),
    });
    const call = new Call(signal, media, async () => {
      const { ice_servers, ttl } = await api.iceServers();
      const iceServers = ice_servers.map((server) => ({
        urls: server.urls,
        ...(server.username ? { username: server.username } : {}),
        ...(server.credential ? { credential: server.credential } : {}),
      }));
      return { iceServers, ttlSeconds: ttl };
    });
    const chat = new ChatStore(signal, (roomId, before) => api.messages(roomId, before), user.id);
    // The services live exactly as long as this effect (StrictMode mounts it twice in development).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setServices({ media, signal, call, chat });
    void media.start();
    return () => {
      chat.dispose();
      call.dispose();
      signal.close("left");
    };
  }, [api, user.id]);

  if (services === null) return null;
  return <CallContext.Provider value={services}>{children}</CallContext.Provider>;
}

export function useCallServices(): CallServices {
  const services = useContext(CallContext);
  if (services === null) throw new Error("useCallServices outside CallProvider");
  return services;
}

export function useCall(): CallSnapshot {
  const { call } = useCallServices();
  return useSyncExternalStore(
    (listener) => call.on("change", listener),
    () => call.snapshot,
  );
}

export function useLocalMedia(): LocalMediaSnapshot {
  const { media } = useCallServices();
  return useSyncExternalStore(
    (listener) => media.on("change", listener),
    () => media.snapshot,
  );
}
