/**
 * /r/<code> signed in: find the room, then pre-join, the call, and what follows it; the room
 * visit's WebSocket service carries both the call and the chat. A guest's visit (`RoomVisit`)
 * starts from the invite page instead.
 */
import { useRoomByCode } from "../api/queries";
import { UserIdentityProvider, useIdentity } from "../auth/IdentityContext";
import { ChatProvider } from "../chat/ChatContext";
import { SignalProvider } from "../realtime/SignalContext";
import { CallProvider, useCall, useCallServices } from "../rtc/CallContext";
import { focusHeading, Link } from "../router";
import { CallEnded } from "./CallEnded";
import { InCall } from "./InCall";
import { PreJoin } from "./PreJoin";
import { WaitingScreen } from "./WaitingScreen";
import type { CallRoom } from "../api/types";

function RoomFlow({ room }: { room: CallRoom }) {
  const identity = useIdentity();
  const { call } = useCallServices();
  const { phase, reason, stop, waiting } = useCall();
  if (phase === "in-call") return <InCall room={room} />;
  if (phase === "waiting") {
    return (
      <WaitingScreen roomName={room.name} reason={waiting} onLeave={() => void call.leave()} />
    );
  }
  if (phase === "ended") {
    return (
      <CallEnded
        stop={stop}
        reason={reason}
        rejoinHref={room.invite_path}
        isGuest={identity.kind === "guest"}
      />
    );
  }
  return <PreJoin room={room} displayName={identity.displayName} />;
}

export function RoomPage({ code }: { code: string }) {
  const room = useRoomByCode(code);
  if (room.isPending)
    return (
      <p className="centered" role="status">
        Finding the room…
      </p>
    );
  if (room.error) {
    return (
      <main className="centered card">
        <h1 ref={focusHeading} tabIndex={-1}>
          Room not found
        </h1>
        <p role="alert">{room.error.message}</p>
        <Link href="/">Back to the dashboard</Link>
      </main>
    );
  }
  return (
    <UserIdentityProvider>
      <RoomVisit room={room.data} />
    </UserIdentityProvider>
  );
}

/** One visit to a room by whoever the identity provider above names (a user or a guest). */
export function RoomVisit({ room }: { room: CallRoom }) {
  return (
    <SignalProvider>
      <CallProvider>
        <ChatProvider>
          <RoomFlow room={room} />
        </ChatProvider>
      </CallProvider>
    </SignalProvider>
  );
}
