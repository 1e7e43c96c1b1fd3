/**
 * /r/<code>: find the room, then pre-join, the call, and what follows it; the room visit's
 * WebSocket service carries both the call and the chat.
 */
import { useRoomByCode } from "../api/queries";
import { useUser } from "../auth/AuthContext";
import { ChatProvider } from "../chat/ChatContext";
import { SignalProvider } from "../realtime/SignalContext";
import { CallProvider, useCall } from "../rtc/CallContext";
import { Link } from "../router";
import { InCall } from "./InCall";
import { PreJoin } from "./PreJoin";
import type { Room } from "../api/types";

function RoomFlow({ room }: { room: Room }) {
  const user = useUser();
  const { phase, reason } = useCall();
  if (phase === "in-call") return <InCall room={room} />;
  if (phase === "ended") {
    return (
      <main className="centered card">
        <h1>{reason === "left" ? "You left the room" : "The call ended"}</h1>
        {reason !== "left" && <p role="alert">{reason}</p>}
        <p>
          <a href={room.invite_path}>Rejoin</a> · <Link href="/">Back to the dashboard</Link>
        </p>
      </main>
    );
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
