/**
 * Auth context: the signed-in user, silent sign-in from the refresh cookie, a refresh timer that
 * keeps the in-memory access token fresh, and sign-out. A failed refresh (or 401) signs out.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";

import { ApiClient } from "../api/client";
import type { User } from "../api/types";

type AuthState =
  | { status: "loading"; user: null }
  | { status: "signed-in"; user: User }
  | { status: "signed-out"; user: null };

interface AuthValue {
  state: AuthState;
  api: ApiClient;
  signIn(email: string, password: string): Promise<void>;
  signUp(email: string, displayName: string, password: string, invite?: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN = 0.2;

export function AuthProvider({ children, api }: { children: ReactNode; api: ApiClient }) {
  const [state, setState] = useState<AuthState>({ status: "loading", user: null });

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = api.onSession((session) => {
      clearTimeout(timer);
      if (session === null) {
        setState({ status: "signed-out", user: null });
        return;
      }
      setState({ status: "signed-in", user: session.user });
      const delay = session.expires_in * (1 - REFRESH_MARGIN) * 1000;
      timer = setTimeout(() => void api.refresh().catch(() => undefined), delay);
    });
    api.refresh().catch(() => setState({ status: "signed-out", user: null }));
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [api]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      await api.logIn(email, password);
    },
    [api],
  );
  const signUp = useCallback(
    async (email: string, displayName: string, password: string, invite?: string) => {
      await api.register(email, displayName, password, invite);
    },
    [api],
  );
  const signOut = useCallback(() => api.logOut(), [api]);

  const value = useMemo(
    () => ({ state, api, signIn, signUp, signOut }),
    [state, api, signIn, signUp, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error("useAuth outside AuthProvider");
  return value;
}

export function useApi(): ApiClient {
  return useAuth().api;
}

/** The signed-in user; only for pages behind the sign-in guard. */
export function useUser(): User {
  const { state } = useAuth();
  if (state.status !== "signed-in") throw new Error("useUser while signed out");
  return state.user;
}
