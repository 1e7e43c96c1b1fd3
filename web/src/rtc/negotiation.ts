/**
 * The decisions of the "perfect negotiation" pattern, apart from any RTCPeerConnection.
 *
 * Roles: the participant who joined later is *polite* (on glare it rolls back its own offer and
 * takes the other's); the one already in the room is *impolite* (it ignores a colliding offer)
 * and makes the first offer, since the newcomer makes none until it has answered once.
 */

export interface NegotiationState {
  polite: boolean;
  makingOffer: boolean;
  signalingState: RTCSignalingState;
  settingRemoteAnswer: boolean;
}

/** An incoming description is ignored only by the impolite side, on an offer collision. */
export function shouldIgnore(type: RTCSdpType, state: NegotiationState): boolean {
  const readyForOffer =
    !state.makingOffer && (state.signalingState === "stable" || state.settingRemoteAnswer);
  const collision = type === "offer" && !readyForOffer;
  return collision && !state.polite;
}
