// The two ways a page can be in a two-person call, behind one interface:
//   /c/{call_id}  seed 000, "apiv2": join over HTTP for a peer_id, then the socket; the call's creator (A) offers.
//   /r/{token}    seed 004, link rooms: opening the socket is joining ("joined" gives the peer_id to resume with);
//                 whoever is already there when the other arrives is told "join" and offers; "bye" leaves.
// The page speaks normalized frames: state {status, count, connected}, join, leave, joined {peer_id}, error,
// and the relayed offer / answer / ice-candidate.
import { forgetPlace, joinCall, leaveCall, loadPlace, savePlace } from './api.js';

const socketBase = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;

export const apiv2 = {
  link: (id) => `${location.origin}/c/${encodeURIComponent(id)}`,

  /** Our place in the call: kept from before (A, or a reload), else joined now (B). Throws ApiError. */
  async takePlace(id) {
    const kept = loadPlace(id);
    if (kept) return kept;
    const joined = await joinCall(id);
    const place = { peer_id: joined.peer_id, role: 'B' };
    savePlace(id, place);
    return place;
  },

  socketUrl: (id, place) => `${socketBase()}/apiv2/ws?${new URLSearchParams({ call_id: id, peer_id: place.peer_id })}`,

  /** Only A offers, each time B (re)connects. */
  offersOnJoin: (place) => place.role === 'A',

  /** The other left and the call waits again (Calls:WhenPeerLeaves=Waiting): whoever stayed is now the one who waits,
   *  and offers to whoever opens the link next (who joins as B), even if the one who left was the creator. */
  stayAfterPeerLeft(id, place) {
    const stayed = { ...place, role: 'A' };
    savePlace(id, stayed);
    return stayed;
  },

  toServer: (frame) => frame,

  fromServer(frame) {
    if (frame.type === 'state') {
      return { type: 'state', status: frame.status, count: frame.participants?.count ?? 0, connected: frame.participants?.connected ?? 0 };
    }
    return frame;
  },

  /** Leaving ends the call (or frees the place); the server then closes our socket. */
  async leave(id, place) {
    await leaveCall(id, place.peer_id);
  },

  forget: (id) => forgetPlace(id),
};

const roomKey = (token) => `room:${token}`;

export const rooms = {
  link: (token) => `${location.origin}/r/${encodeURIComponent(token)}`,

  /** Nothing to ask: the socket joins. A peer_id kept from before resumes the same place. */
  async takePlace(token) {
    return loadPlace(roomKey(token)) ?? { peer_id: null };
  },

  socketUrl: (token, place) =>
    `${socketBase()}/ws/rooms/${encodeURIComponent(token)}${place.peer_id ? `?${new URLSearchParams({ peer_id: place.peer_id })}` : ''}`,

  /** "join" is only told to the one already in the room: it is the cue to offer. */
  offersOnJoin: () => true,

  stayAfterPeerLeft: (token, place) => place,

  toServer: (frame) => (frame.type === 'ice-candidate' ? { ...frame, type: 'candidate' } : frame),

  fromServer(frame, token) {
    switch (frame.type) {
      case 'state':
        return { type: 'state', status: frame.state, count: frame.participants ?? 0, connected: frame.connected ?? 0 };
      case 'candidate':
        return { ...frame, type: 'ice-candidate' };
      case 'bye':
        return { type: 'leave' };
      case 'joined':
        savePlace(roomKey(token), { peer_id: frame.peer_id });
        return frame;
      default:
        return frame;
    }
  },

  /** "bye" frees our place for good; the server closes the socket and tells the other. */
  async leave(token, place, signaling) {
    signaling?.send({ type: 'bye' });
  },

  forget: (token) => forgetPlace(roomKey(token)),
};

/** The dialect and id of the page's address, or null. */
export function fromPath(pathname) {
  const [, prefix, id] = pathname.split('/');
  if (!id) return null;
  const dialect = prefix === 'c' ? apiv2 : prefix === 'r' ? rooms : null;
  return dialect && { dialect, id: decodeURIComponent(id) };
}
