/** TanStack Query hooks over the API service: server data lives in the query cache. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi } from "./ApiContext";
import { startDownload } from "./download";
import type {
  CallRoom,
  MemberInvite,
  MemberRole,
  RoomChanges,
  RoomCreate,
  RoomLookup,
} from "./types";

export const queryKeys = {
  rooms: ["rooms"] as const,
  room: (code: string) => ["room", code] as const,
  recordingNow: (roomId: string) => ["recording-now", roomId] as const,
  invite: (code: string) => ["invite", code] as const,
  members: (roomId: string) => ["members", roomId] as const,
  recordings: (roomId: string) => ["recordings", roomId] as const,
  authPolicy: ["auth-policy"] as const,
};

/** Who may sign up on this server (GLIMPSE_SIGNUP). */
export function useAuthPolicy() {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.authPolicy,
    queryFn: () => api.authPolicy(),
    staleTime: Infinity,
  });
}

export function useCreateInvite() {
  const api = useApi();
  return useMutation({ mutationFn: (email: string) => api.createInvite(email) });
}

export function useRooms() {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.rooms, queryFn: () => api.listRooms() });
}

export function useRoomByCode(code: string) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.room(code),
    queryFn: () => api.roomByCode(code),
    retry: false,
  });
}

export function useCreateRoom() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: RoomCreate) => api.createRoom(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.rooms }),
  });
}

/** On the pre-join screen, whether the meeting is being recorded is read again this often. */
export const PREJOIN_REFRESH_MS = 10_000;

/**
 * Whether the room's meeting is being recorded now, read again while the pre-join screen shows it:
 * from the room by id for a user, from its invite for a guest (whose credential reads no room).
 * Null while the server cannot tell; a read that fails or cannot tell keeps what was known.
 */
export function useRecordingNow(room: CallRoom, asGuest: boolean): boolean | null {
  const api = useApi();
  const queryClient = useQueryClient();
  const queryKey = queryKeys.recordingNow(room.id);
  const query = useQuery({
    queryKey,
    queryFn: async () => {
      const now = asGuest
        ? (await api.roomInvite(room.code)).recording
        : (await api.room(room.id)).recording;
      return now ?? queryClient.getQueryData<boolean | null>(queryKey) ?? null;
    },
    initialData: room.recording,
    staleTime: PREJOIN_REFRESH_MS,
    refetchInterval: PREJOIN_REFRESH_MS,
    retry: false,
  });
  return query.data;
}

/** The room behind an invite link, for anyone (signed in or not). */
export function useRoomInvite(code: string) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.invite(code),
    queryFn: () => api.roomInvite(code),
    retry: false,
  });
}

/** Change a room's name or settings; the room lists and the room by code follow. */
export function useUpdateRoom(roomId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: RoomChanges) => api.updateRoom(roomId, changes),
    onSuccess: (room) => {
      queryClient.setQueryData<RoomLookup>(
        queryKeys.room(room.code),
        (looked) => looked && { ...looked, ...room },
      );
      return queryClient.invalidateQueries({ queryKey: queryKeys.rooms });
    },
  });
}

export function useDeleteRoom() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (roomId: string) => api.deleteRoom(roomId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.rooms }),
  });
}

export function useMembers(roomId: string) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.members(roomId), queryFn: () => api.members(roomId) });
}

export function useSetMemberRole(roomId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: MemberRole }) =>
      api.setMemberRole(roomId, userId, role),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.members(roomId) }),
  });
}

export function useInviteMember(roomId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invite: MemberInvite) => api.inviteMember(roomId, invite),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.members(roomId) }),
  });
}

/** While a recording is being recorded or made into a file, its list is read again this often. */
const RECORDINGS_REFRESH_MS = 10_000;

/** The room's recordings (owner only), read again while one is not finished. */
export function useRecordings(roomId: string) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.recordings(roomId),
    queryFn: () => api.recordings(roomId),
    refetchInterval: (query) =>
      query.state.data?.some((r) => r.status === "recording" || r.status === "processing")
        ? RECORDINGS_REFRESH_MS
        : false,
  });
}

/** Download a recording: a one-minute link, which the browser then follows (a plain download,
 * saved to disk as it arrives; the link needs no token). */
export function useDownloadRecording() {
  const api = useApi();
  return useMutation({
    mutationFn: (recordingId: string) => api.recordingLink(recordingId),
    onSuccess: (link) => startDownload(link.url),
  });
}

export function useDeleteRecording(roomId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (recordingId: string) => api.deleteRecording(recordingId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.recordings(roomId) }),
  });
}
