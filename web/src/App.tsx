/**
 * Providers and routes: /signin, /signup, / (dashboard) and /r/<code> (pre-join, then the room;
 * signed out, the invite page, where a guest joins). Anything else signed out goes to sign-in, so
 * a guest never sees the dashboard.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { ApiProvider } from "./api/ApiContext";
import { ApiClient, ApiError } from "./api/client";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { SessionEndedDialog } from "./components/SessionEndedDialog";
import { DashboardPage } from "./pages/DashboardPage";
import { InvitePage } from "./pages/InvitePage";
import { RoomPage } from "./pages/RoomPage";
import { SignInPage, SignUpPage } from "./pages/SignInPage";
import { navigate, useLocation } from "./router";

function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

function Routes() {
  const { state } = useAuth();
  const { pathname, search } = useLocation();
  const publicPage = pathname === "/signin" || pathname === "/signup";
  const room = /^\/r\/([^/]+)$/.exec(pathname)?.[1];
  const code = room === undefined ? null : decodeURIComponent(room);

  useEffect(() => {
    if (state.status === "signed-out" && !publicPage && code === null) {
      navigate(`/signin?next=${encodeURIComponent(pathname + search)}`, { replace: true });
    }
    if (state.status === "signed-in" && publicPage) {
      navigate(new URLSearchParams(search).get("next") ?? "/", { replace: true });
    }
  }, [state.status, publicPage, code, pathname, search]);

  if (state.status === "loading")
    return (
      <p className="centered" role="status">
        Loading…
      </p>
    );
  // Trying again: the sign-in and sign-up forms stay (with what was typed), the rest waits.
  const unreachable = state.status === "unreachable" && (
    <p className="centered error" role="status">
      {state.message}
    </p>
  );
  if (pathname === "/signin" || pathname === "/signup") {
    return (
      <>
        {unreachable}
        {pathname === "/signin" ? <SignInPage /> : <SignUpPage />}
      </>
    );
  }
  if (state.status === "signed-out" && code !== null) return <InvitePage key={code} code={code} />;
  if (state.status !== "signed-in" && state.status !== "expired") return unreachable || null;
  return (
    <>
      {code !== null ? <RoomPage key={code} code={code} /> : <DashboardPage />}
      {state.status === "expired" && <SessionEndedDialog email={state.user.email} />}
    </>
  );
}

export function App() {
  const [api] = useState(() => new ApiClient());
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <ApiProvider api={api}>
        <AuthProvider>
          <Routes />
        </AuthProvider>
      </ApiProvider>
    </QueryClientProvider>
  );
}
