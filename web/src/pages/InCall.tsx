/**
 * The room: video tiles (grid or speaker view, a shared screen featured) with hands and
 * reactions, controls, chat, participants and (for hosts) lobby panels, the hosts' lock,
 * recording and end, whether the meeting is recorded and how its media flows, and notices.
 */
import { useEffect, useRef, useState } from "react";
import type { KeyboardEvent } from "react";

import type { CallRoom } from "../api/types";
import "../components/call.css";
import { ChatPanel } from "../components/ChatPanel";
import { playChime } from "../components/sounds";
import { CopyButton } from "../components/CopyButton";
import { DevicesPanel } from "../components/DevicesPanel";
import { HostControls } from "../components/HostControls";
import { LobbyPanel } from "../components/LobbyPanel";
import { MediaToggles } from "../components/MediaToggles";
import { Notices } from "../components/Notices";
import { ParticipantsPanel } from "../components/ParticipantsPanel";
import { QualityIndicator } from "../components/QualityIndicator";
import { ReactionPicker } from "../components/ReactionPicker";
import { ReasonedButton } from "../components/ReasonedButton";
import { RecordingStatus } from "../components/RecordingStatus";
import { Stage } from "../components/Stage";
import type { StageItem } from "../components/Stage";
import { VideoTile } from "../components/VideoTile";
import { useChat } from "../chat/ChatContext";
import { useCall, useCallServices, useLocalMedia } from "../rtc/CallContext";
import { ownQuality } from "../rtc/linkStats";
import { canShareScreen } from "../rtc/LocalMedia";
import { isHost, roleOf } from "../rtc/roles";
import type { MediaMode } from "../realtime/protocol";
import type { ConnectionState } from "../realtime/SignalClient";
import { inviteLink } from "./DashboardPage";

export const CONNECTION_TEXT: Record<ConnectionState, string> = {
  idle: "Not connected",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  unreachable: "Cannot connect to the server; still trying…",
  closed: "Disconnected",
};

/** How the meeting's media flows, in words, with what it means. */
export const MEDIA_PATH_TEXT: Record<MediaMode, { text: string; title: string }> = {
  mesh: {
    text: "Direct (peer to peer)",
    title: "Everyone's media goes straight to everyone else, encrypted end to end.",
  },
  sfu: {
    text: "Media through the server (SFU)",
    title: "Everyone sends their media once to the meeting's media server, which forwards it.",
  },
};

type Panel = "chat" | "people" | "lobby" | "devices" | null;

const NO_SCREEN_SHARE = "This browser cannot share a screen.";

export function InCall({ room }: { room: CallRoom }) {
  const { media, call } = useCallServices();
  const snapshot = useCall();
  const local = useLocalMedia();
  const { chat } = useChat();
  const [panel, setPanel] = useState<Panel>(null);
  /** Speaker view or grid, as chosen while this screen (or none) was first shared. */
  const [chosen, setChosen] = useState<{ view: "speaker" | "grid"; screen: string | null }>({
    view: "grid",
    screen: null,
  });
  const [pinned, setPinned] = useState<string | null>(null);
  const firstScreen =
    snapshot.remotes.find((r) => r.participant.media.screen && r.screen)?.participant.id ??
    (local.screenPreview && snapshot.self ? snapshot.self.id : null);
  // A new shared screen is featured for everyone, whatever view was chosen before.
  const speakerView =
    chosen.screen === firstScreen || firstScreen === null ? chosen.view === "speaker" : true;
  const setChosenView = (view: "speaker" | "grid") => setChosen({ view, screen: firstScreen });
  const panelOpener = useRef<HTMLElement | null>(null);
  // Each new request to join sounds (the hosts' badge counts them).
  useEffect(() => call.on("lobby-request", () => playChime(media.snapshot.speaker)), [call, media]);
  const self = snapshot.self;
  if (self === null) return null;
  const host = isHost(self);
  const reactionsOf = (id: string) => snapshot.reactions.filter((r) => r.participantId === id);

  const togglePanel = (which: Exclude<Panel, null>) => {
    panelOpener.current =
      document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setPanel(panel === which ? null : which);
  };
  // Escape inside an open panel closes it, and focus goes back to the button that opened it.
  const escapePanel = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || panel === null) return;
    setPanel(null);
    panelOpener.current?.focus();
  };
  const shareScreen = () => {
    if (local.screen) media.stopScreenShare();
    else void media.startScreenShare().catch(() => undefined);
  };
  const pin = (key: string) => {
    setPinned(pinned === key ? null : key);
    setChosenView("speaker");
  };
  const cameraTile = (
    id: string,
    props: Omit<Parameters<typeof VideoTile>[0], "speaking" | "reactions" | "pinned" | "onPin">,
  ): StageItem => ({
    key: id,
    node: (
      <VideoTile
        {...props}
        speaking={snapshot.speaking.includes(id)}
        reactions={reactionsOf(id)}
        pinned={pinned === id}
        onPin={() => pin(id)}
      />
    ),
  });
  const screenTile = (id: string, name: string, stream: MediaStream | null, isSelf: boolean) => {
    const key = `screen:${id}`;
    return {
      key,
      node: (
        <VideoTile
          name={name}
          stream={stream}
          audioOn={false}
          videoOn
          screen
          speaking={false}
          presenting
          isSelf={isSelf}
          pinned={pinned === key}
          onPin={() => pin(key)}
        />
      ),
    };
  };
  const items: StageItem[] = [
    cameraTile(self.id, {
      name: self.display_name,
      stream: local.preview,
      audioOn: self.media.audio,
      videoOn: self.media.video,
      screen: self.media.screen,
      isSelf: true,
      role: roleOf(self),
      handRaised: self.hand != null,
    }),
    ...snapshot.remotes.map(({ participant, stream, peerState, health, problem, sendingVideo }) =>
      cameraTile(participant.id, {
        name: participant.display_name,
        stream,
        audioOn: participant.media.audio,
        videoOn: participant.media.video,
        screen: participant.media.screen,
        peerState,
        reconnecting: participant.reconnecting === true,
        role: roleOf(participant),
        handRaised: participant.hand != null,
        sinkId: local.speaker,
        health,
        problem,
        videoPausedToThem: !sendingVideo,
      }),
    ),
    ...snapshot.remotes
      .filter(({ participant, screen }) => participant.media.screen && screen)
      .map(({ participant, screen }) =>
        screenTile(participant.id, participant.display_name, screen, false),
      ),
    ...(local.screenPreview
      ? [screenTile(self.id, self.display_name, local.screenPreview, true)]
      : []),
    ...(snapshot.remotes.length === 0
      ? [{ key: "invite", node: <InviteCard link={inviteLink(room)} /> }]
      : []),
  ];
  const featured = !speakerView
    ? null
    : pinned !== null && items.some((item) => item.key === pinned)
      ? pinned
      : firstScreen !== null
        ? `screen:${firstScreen}`
        : (snapshot.speaking.find((id) => id !== self.id) ??
          snapshot.remotes[0]?.participant.id ??
          self.id);
  const participants = [self, ...snapshot.remotes.map((r) => r.participant)];
  const own = ownQuality(snapshot.remotes.flatMap((r) => (r.health ? [r.health] : [])));
  // Each remote camera's tile, for the layer the SFU sends of it (none: not shown).
  const tileSizes = (sizes: ReadonlyMap<string, { width: number; height: number }>) =>
    call.setTileSizes(
      new Map(snapshot.remotes.map(({ participant: { id } }) => [id, sizes.get(id) ?? null])),
    );
  const mediaPath = MEDIA_PATH_TEXT[snapshot.mediaPath];

  return (
    <div className="room" data-media-path={snapshot.mediaPath}>
      <header className="topbar">
        <span className="brand">{room.name}</span>
        <span
          className={`connection ${snapshot.connection}`}
          role="status"
          aria-label={`Server connection: ${CONNECTION_TEXT[snapshot.connection]}`}
        >
          {CONNECTION_TEXT[snapshot.connection]}
        </span>
        {own && <QualityIndicator quality={own} whose="Your" />}
        {snapshot.locked && <span className="badge">Locked</span>}
        <RecordingStatus recording={snapshot.recording} />
        <span className="media-path muted" title={mediaPath.title}>
          {mediaPath.text}
        </span>
        <CopyButton text={inviteLink(room)} label="Copy link to this room" />
      </header>
      <Notices notices={snapshot.notices} />
      <div className="stage-and-panel" onKeyDown={escapePanel}>
        <Stage
          items={items}
          featured={featured}
          pip={snapshot.remotes.length === 1 && items.length === 2 ? self.id : null}
          onTileSizes={tileSizes}
        />
        {panel === "chat" && <ChatPanel participants={participants} selfUserId={self.user_id} />}
        {panel === "people" && (
          <ParticipantsPanel
            self={self}
            remotes={snapshot.remotes}
            {...(host ? { onModerate: (id, action) => void call.moderate(id, action) } : {})}
          />
        )}
        {panel === "devices" && <DevicesPanel media={media} local={local} />}
        {panel === "lobby" && host && (
          <LobbyPanel
            lobby={snapshot.lobby}
            onAdmit={(id) => void call.admit(id)}
            onDeny={(id) => void call.deny(id)}
          />
        )}
      </div>
      <nav className="controls" aria-label="Call controls">
        <MediaToggles media={media} local={local} />
        <ReasonedButton
          className={local.screen ? "on" : undefined}
          disabledReason={canShareScreen() ? undefined : NO_SCREEN_SHARE}
          onClick={shareScreen}
        >
          {local.screen ? "Stop sharing" : "Share screen"}
        </ReasonedButton>
        <button
          type="button"
          aria-pressed={panel === "devices"}
          onClick={() => togglePanel("devices")}
        >
          Devices
        </button>
        <button
          type="button"
          aria-pressed={self.hand != null}
          onClick={() => void call.raiseHand(self.hand == null)}
        >
          {self.hand != null ? "Lower hand" : "Raise hand"}
        </button>
        <ReactionPicker onReact={(emoji) => void call.react(emoji)} />
        <button
          type="button"
          aria-pressed={panel === "chat"}
          aria-label={chat.unread > 0 ? `Chat, ${chat.unread} unread` : "Chat"}
          onClick={() => togglePanel("chat")}
        >
          Chat
          {chat.unread > 0 && (
            <span className="unread" aria-hidden="true">
              {chat.unread}
            </span>
          )}
        </button>
        <button
          type="button"
          aria-pressed={panel === "people"}
          onClick={() => togglePanel("people")}
        >
          Participants
        </button>
        {host && (
          <>
            <button
              type="button"
              aria-pressed={panel === "lobby"}
              aria-label={
                snapshot.lobby.length > 0 ? `Lobby, ${snapshot.lobby.length} waiting` : "Lobby"
              }
              onClick={() => togglePanel("lobby")}
            >
              Lobby
              {snapshot.lobby.length > 0 && (
                <span className="unread" data-count={snapshot.lobby.length} aria-hidden="true">
                  {snapshot.lobby.length}
                </span>
              )}
            </button>
            <HostControls
              locked={snapshot.locked}
              onLock={(locked) => void call.setLocked(locked)}
              onEnd={() => void call.endMeeting()}
              recording={snapshot.recording}
              canRecord={snapshot.mediaPath === "sfu"}
              onRecord={(active) => void call.setRecording(active)}
            />
          </>
        )}
        <button
          type="button"
          className={speakerView ? "on" : undefined}
          onClick={() => setChosenView(speakerView ? "grid" : "speaker")}
        >
          {speakerView ? "Grid view" : "Speaker view"}
        </button>
        <button type="button" className="danger" onClick={() => void call.leave()}>
          Leave
        </button>
      </nav>
    </div>
  );
}

/** Alone in the call: who else could come, and the link to send them. */
function InviteCard({ link }: { link: string }) {
  return (
    <section className="invite" aria-labelledby="invite-heading">
      <h2 id="invite-heading">You're the only one here</h2>
      <p className="muted">Send the link to invite others.</p>
      <CopyButton text={link} label="Copy link to invite others" />
    </section>
  );
}
