/**
 * Who is in the call, and the token the call's services present: the signed-in user, or a guest
 * of this one room. `useIdentity` gives the identity, `useCallToken` the token (`fresh` renews it)
 * for the WebSocket's `auth`/`renew` and the ICE servers.
 */
import { createContext, useCallback, useContext, useEffect, useMemo } from "react";
import type { ReactNode } from "react";

import { useApi } from "../api/ApiContext";
import { useUser } from "./AuthContext";
import type { GuestSession } from "./GuestSession";

export interface Identity {
  kind: "user" | "guest";
  /** The user's id, or the guest's id. */
  id: string;
  displayName: string;
  /** The one room a guest may join. */
  roomId?: string;
}

/** The user's access token or the guest's credential; `fresh` asks for a renewed one. */
export type CallToken = (fresh?: boolean) => Promise<string>;

interface CallIdentity {
  identity: Identity;
  callToken: CallToken;
}

const IdentityContext = createContext<CallIdentity | null>(null);

/** The signed-in user is in the call (only behind the sign-in guard). */
export function UserIdentityProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const user = useUser();
  // The token stays the same function when the user renames themselves: the socket stays open.
  const callToken = useCallback<CallToken>((fresh = false) => api.userToken(fresh), [api]);
  const value = useMemo<CallIdentity>(
    () => ({ identity: { kind: "user", id: user.id, displayName: user.display_name }, callToken }),
    [callToken, user.id, user.display_name],
  );
  return <IdentityContext.Provider value={value}>{children}</IdentityContext.Provider>;
}

/** A guest is in the call; their credential is renewed while this is mounted. */
export function GuestIdentityProvider({
  session,
  children,
}: {
  session: GuestSession;
  children: ReactNode;
}) {
  useEffect(() => session.keepRenewed(), [session]);
  const value = useMemo<CallIdentity>(
    () => ({
      identity: { kind: "guest", ...session.identity },
      callToken: (fresh = false) => session.token(fresh),
    }),
    [session],
  );
  return <IdentityContext.Provider value={value}>{children}</IdentityContext.Provider>;
}

function useCallIdentity(): CallIdentity {
  const value = useContext(IdentityContext);
  if (value === null) throw new Error("useIdentity outside an identity provider");
  return value;
}

export function useIdentity(): Identity {
  return useCallIdentity().identity;
}

export function useCallToken(): CallToken {
  return useCallIdentity().callToken;
}
