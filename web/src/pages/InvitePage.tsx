/**
 * /r/<code> signed out: the room's name and its host, "Join as a guest" with a name beside
 * signing in (which comes back here), or only signing in when the host turned guests off. A guest
 * who joined (or reloads the tab) goes on to the room visit with their guest credential.
 */
import { useEffect, useState } from "react";
import type { FormEvent } from "react";

import { useApi } from "../api/ApiContext";
import { ApiError } from "../api/client";
import { errorMessage } from "../api/errorMessages";
import { useRoomInvite } from "../api/queries";
import type { CallRoom, RoomInvite } from "../api/types";
import { GuestSession } from "../auth/GuestSession";
import type { GuestRenewal } from "../auth/GuestSession";
import { GuestIdentityProvider } from "../auth/IdentityContext";
import { focusHeading, Link } from "../router";
import { RoomVisit } from "./RoomPage";
import { ErrorAlert } from "../components/ErrorAlert";

function signInHref(code: string): string {
  return `/signin?next=${encodeURIComponent(`/r/${encodeURIComponent(code)}`)}`;
}

/** The invite's room as the call needs it; its invite path is the page's own. */
function callRoom(code: string, invite: RoomInvite): CallRoom {
  const { id, name, has_password } = invite.room;
  return {
    id,
    name,
    code: invite.room.code,
    has_password,
    invite_path: `/r/${encodeURIComponent(code)}`,
    recording: invite.recording,
  };
}

function GuestForm({
  code,
  renewal,
  onJoined,
  onRefused,
}: {
  code: string;
  renewal: GuestRenewal;
  onJoined: (session: GuestSession) => void;
  onRefused: () => void;
}) {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    if (name === "") return;
    setBusy(true);
    setError(null);
    try {
      const token = await api.joinAsGuest(code, name);
      onJoined(GuestSession.begin(code, token, renewal));
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.code === "guests_not_allowed") onRefused();
      else setError(errorMessage(failure));
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)}>
      <label>
        Your name
        <input name="name" autoComplete="name" required maxLength={64} />
      </label>
      <ErrorAlert>{error}</ErrorAlert>
      <button type="submit" className="primary" disabled={busy}>
        Join as a guest
      </button>
    </form>
  );
}

export function InvitePage({ code }: { code: string }) {
  const api = useApi();
  const invite = useRoomInvite(code);
  const [renewal] = useState<GuestRenewal>(() => (token: string) => api.renewGuest(token));
  const [session, setSession] = useState(() => GuestSession.restore(code, renewal));
  const [expired, setExpired] = useState(false);

  useEffect(
    () =>
      session?.onEnded(() => {
        setSession(null);
        setExpired(true);
      }),
    [session],
  );

  if (invite.isPending)
    return (
      <p className="centered" role="status">
        Finding the room…
      </p>
    );
  if (invite.error) {
    const notFound = invite.error instanceof ApiError && invite.error.status === 404;
    return (
      <main className="auth-page">
        <section className="card" aria-labelledby="invite-title">
          <h1 ref={focusHeading} tabIndex={-1} id="invite-title">
            {notFound ? "Room not found" : "Cannot open this room"}
          </h1>
          <p role="alert">{errorMessage(invite.error)}</p>
          <p>
            <Link href={signInHref(code)}>Sign in</Link>
          </p>
        </section>
      </main>
    );
  }

  const { room, owner_name } = invite.data;
  if (session !== null && session.identity.roomId === room.id) {
    return (
      <GuestIdentityProvider session={session}>
        <RoomVisit room={callRoom(code, invite.data)} />
      </GuestIdentityProvider>
    );
  }
  return (
    <main className="auth-page">
      <section className="card" aria-labelledby="invite-title">
        <h1 ref={focusHeading} tabIndex={-1} id="invite-title">
          {room.name}
        </h1>
        <p>{`Hosted by ${owner_name}`}</p>
        {room.has_password && <p className="muted">You will need the room's password to join.</p>}
        {room.allow_guests && room.lobby !== "off" && (
          <p className="muted">A host lets you in once you ask to join.</p>
        )}
        {expired && <p role="status">Your guest pass has expired. Join again with your name.</p>}
        {room.allow_guests ? (
          <>
            <GuestForm
              code={code}
              renewal={renewal}
              onJoined={(joined) => {
                setExpired(false);
                setSession(joined);
              }}
              onRefused={() => void invite.refetch()}
            />
            <p>
              Have an account? <Link href={signInHref(code)}>Sign in</Link>
            </p>
          </>
        ) : (
          <>
            <p role="status">The host has turned off guest access</p>
            <p>
              <Link href={signInHref(code)}>Sign in</Link>
            </p>
          </>
        )}
      </section>
    </main>
  );
}
