/**
 * Auth context: the signed-in user, silent sign-in from the refresh cookie (asked for only when the
 * session marker says there is one, so a signed-out visit sends no doomed request), a refresh timer that
 * keeps the in-memory access token fresh, and sign-out. A refresh answered 401 ends the session
 * (`expired`: the page stays, under a dialog that signs in again); when the server cannot be
 * reached or is busy at start-up, the state says so and the refresh is tried again.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import type { ReactNode } from "react";

import { useApi } from "../api/ApiContext";
import { ApiError, hasSessionMarker, NetworkError } from "../api/client";
import type { User } from "../api/types";

type AuthState =
  | { status: "loading"; user: null }
  | { status: "signed-in"; user: User }
  | { status: "signed-out"; user: null }
  /** The session ended by itself (a refresh answered 401): the page stays until signed in again. */
  | { status: "expired"; user: User }
  /** Not known yet: the server could not be reached or was busy; trying again. */
  | { status: "unreachable"; user: null; message: string };

interface AuthValue {
  state: AuthState;
  signIn(email: string, password: string): Promise<void>;
  signUp(email: string, displayName: string, password: string, invite?: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN = 0.2;
/** The start-up refresh is tried again after 1 s, 2 s, 4 s… at most this long (or Retry-After). */
const STARTUP_RETRY_MAX_MS = 30_000;

/** How long to wait before trying the start-up refresh again after it failed `attempt` times. */
export function startupRetryDelayMs(error: unknown, attempt: number): number {
  if (error instanceof ApiError && error.retryAfter !== null) return error.retryAfter * 1000;
  return Math.min(STARTUP_RETRY_MAX_MS, 1000 * 2 ** attempt);
}

/** What the user sees while the start-up refresh cannot get an answer. */
function unreachableMessage(error: unknown): string {
  return error instanceof NetworkError ? error.message : "The server is busy; trying again…";
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [state, setState] = useState<AuthState>(() =>
    hasSessionMarker() ? { status: "loading", user: null } : { status: "signed-out", user: null },
  );
  /** Set while the person signs out: the session's end is theirs, not the server's. */
  const signingOut = useRef(false);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    /** A session began or ended (a 401 refresh signs out): no more start-up refreshes. */
    let known = false;
    let unmounted = false;
    const unsubscribe = api.onSession((session) => {
      known = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
      if (session === null) {
        // Signed out by the page: to sign-in. Ended by the server: the page stays under a dialog.
        const endedByServer = !signingOut.current;
        setState((previous) =>
          previous.user !== null && endedByServer
            ? { status: "expired", user: previous.user }
            : { status: "signed-out", user: null },
        );
        return;
      }
      setState({ status: "signed-in", user: session.user });
      const delay = session.expires_in * (1 - REFRESH_MARGIN) * 1000;
      timer = setTimeout(() => void api.refresh().catch(() => undefined), delay);
    });
    const start = (attempt: number) => {
      api.refresh().catch((error: unknown) => {
        if (known || unmounted) return;
        setState({ status: "unreachable", user: null, message: unreachableMessage(error) });
        retryTimer = setTimeout(() => start(attempt + 1), startupRetryDelayMs(error, attempt));
      });
    };
    if (hasSessionMarker()) start(0);
    return () => {
      unmounted = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
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
  const signOut = useCallback(async () => {
    signingOut.current = true;
    try {
      await api.logOut();
    } finally {
      signingOut.current = false;
    }
  }, [api]);

  const value = useMemo(
    () => ({ state, signIn, signUp, signOut }),
    [state, signIn, signUp, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** The signed-in user (or the one whose session just ended); only for pages behind the guard. */
export function useUser(): User {
  const { state } = useAuth();
  if (state.user === null) throw new Error("useUser while signed out");
  return state.user;
}
