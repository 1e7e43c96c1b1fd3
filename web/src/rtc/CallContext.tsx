/**
 * React adapter of the call: creates the call's services for one room visit (local media, call)
 * on the room's WebSocket service (`SignalProvider`), hands them to the components, and releases
 * them on unmount.
 */
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { ReactNode } from "react";

import { useApi } from "../api/ApiContext";
import { useCallToken } from "../auth/IdentityContext";
import { useSignal } from "../realtime/SignalContext";
import { Call } from "./Call";
import type { CallSnapshot, IceServerSource } from "./Call";
import { LocalMedia } from "./LocalMedia";
import type { LocalMediaSnapshot } from "./LocalMedia";

export interface CallServices {
  media: LocalMedia;
  call: Call;
  /** The ICE servers of this visit (fresh TURN credentials each time). */
  iceServers: IceServerSource;
}

const CallContext = createContext<CallServices | null>(null);

export function CallProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const signal = useSignal();
  const callToken = useCallToken();
  const [services, setServices] = useState<CallServices | null>(null);

  useEffect(() => {
    const media = new LocalMedia();
    const iceServers: IceServerSource = async () => {
      const { ice_servers, ice_transport_policy, ttl } = await api.iceServers(callToken);
      const servers = ice_servers.map((server) => ({
        urls: server.urls,
        ...(server.username ? { username: server.username } : {}),
        ...(server.credential ? { credential: server.credential } : {}),
      }));
      return { iceServers: servers, iceTransportPolicy: ice_transport_policy, ttlSeconds: ttl };
    };
    const call = new Call(signal, media, iceServers);
    // The services live exactly as long as this effect (StrictMode mounts it twice in development).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setServices({ media, call, iceServers });
    void media.start();
    return () => call.dispose();
  }, [api, signal, callToken]);

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
