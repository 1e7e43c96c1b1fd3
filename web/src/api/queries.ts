/** TanStack Query hooks over the API service: server data lives in the query cache. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi } from "./ApiContext";
import type { RoomCreate } from "./types";

export const queryKeys = {
  rooms: ["rooms"] as const,
  room: (code: string) => ["room", code] as const,
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
