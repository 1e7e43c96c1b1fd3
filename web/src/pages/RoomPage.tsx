/**
 * /r/<code>: find the room, then pre-join, the call, and what follows it; the room visit's
 * WebSocket service carries both the call and the chat.
 */
import { useRoomByCode } from "../api/queries";
import { useUser } from "../auth/AuthContext";
import { ChatProvider } from "../chat/ChatContext";
import { SignalProvider } from "../realtime/SignalContext";
import { CallProvider, useCall, useCallServices } from "../rtc/CallContext";
import { Link } from "../router";
import { CallEnded } from "./CallEnded";
import { InCall } from "./InCall";
import { PreJoin } from "./PreJoin";
import { WaitingScreen } from "./WaitingScreen";
import type { Room } from "../api/types";

function RoomFlow({ room }: { room: Room }) {
  const user = useUser();
  const { call } = useCallServices();
  const { phase, reason, stop, waiting, guest } = useCall();
  if (phase === "in-call") return <InCall room={room} />;
  if (phase === "waiting") {
    return (
      <WaitingScreen roomName={room.name} reason={waiting} onLeave={() => void call.leave()} />
    );
  }
  if (phase === "ended") {
    return <CallEnded stop={stop} reason={reason} rejoinHref={room.invite_path} isGuest={guest} />;
  }
  return <PreJoin room={room} displayName={user.display_name} />;
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
        <h1>Room not found</h1>
        <p role="alert">{room.error.message}</p>
        <Link href="/">Back to the dashboard</Link>
      </main>
    );
  }
  return (
    <SignalProvider>
      <CallProvider>
        <ChatProvider>
          <RoomFlow room={room.data} />
        </ChatProvider>
      </CallProvider>
    </SignalProvider>
  );
}
