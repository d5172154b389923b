// The server's HTTP API (apiv2, group rooms and the TURN config), and where this tab keeps its place in a call or room.

/** A refusal from the server ({error, message}), or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      cache: 'no-store',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // an empty or non-JSON body: the status says enough
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? `http_${response.status}`, data?.message ?? response.statusText);
  }
  return data;
}

const callPath = (callId) => `/apiv2/calls/${encodeURIComponent(callId)}`;

/** → {call_id, status, peer_id}: the caller is the call's first participant. */
export const createCall = () => request('POST', '/apiv2/calls');

/** → {call_id, peer_id}; refused with 404 not_found, 409 call_full or 410 call_ended. */
export const joinCall = (callId) => request('POST', `${callPath(callId)}/join`);

/** Leaves for good. Survives the page being unloaded right after. */
export function leaveCall(callId, peerId) {
  return fetch(`${callPath(callId)}/leave`, {
    method: 'POST',
    keepalive: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ peer_id: peerId }),
  });
}

// Group rooms (seed 003).

/** → {room_id, user_id, users_in_room, token}; no roomId creates a room. The token proves user_id is ours (ids are
 *  listed to everyone in the room); the socket and leave carry it. Refused with 404 not_found, 409 call_full,
 *  410 call_ended or 400 invalid_request (the name). */
export const joinRoom = (roomId, userName) =>
  request('POST', '/api/room/join', roomId ? { room_id: roomId, user_name: userName } : { user_name: userName });

/** → {room_id, users: [{user_id, user_name, is_online}], created_at}; 404 not_found once it is closed. */
export const roomInfo = (roomId) => request('GET', `/api/room/${encodeURIComponent(roomId)}/info`);

/** Leaves the room for good (the others are told). Survives the page being unloaded right after. */
export function leaveRoom(roomId, userId, token) {
  return fetch('/api/room/leave', {
    method: 'POST',
    keepalive: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room_id: roomId, user_id: userId, ...(token ? { token } : {}) }),
  });
}

// A tab's place in a group room, {user_id, token, user_name}, survives a reload within the reconnect grace.
// {user_id: null, user_name} means "join again under this name" (the old place was given up).
const groupKey = (roomId) => `zvonim.group.${roomId}`;

export function loadGroupPlace(roomId) {
  try {
    const place = JSON.parse(sessionStorage.getItem(groupKey(roomId)) ?? 'null');
    return typeof place?.user_name === 'string' ? place : null;
  } catch {
    return null;
  }
}

export function saveGroupPlace(roomId, place) {
  try {
    sessionStorage.setItem(groupKey(roomId), JSON.stringify(place));
  } catch {
    // storage disabled: the room still works, only a reload will join anew
  }
}

export function forgetGroupPlace(roomId) {
  try {
    sessionStorage.removeItem(groupKey(roomId));
  } catch {
    // nothing to forget
  }
}

/** The name last typed in, offered again next time (this browser only). */
export function rememberedName() {
  try {
    return localStorage.getItem('zvonim.name') ?? '';
  } catch {
    return '';
  }
}

export function rememberName(name) {
  try {
    localStorage.setItem('zvonim.name', name);
  } catch {
    // storage disabled: the name is asked again
  }
}

/** → {iceServers, ttl}: STUN/TURN servers for RTCPeerConnection; TURN credentials expire after ttl seconds. */
export const turnConfig = () => request('GET', '/api/turn-config');

export const qrImageUrl = (text) => `/api/qr?text=${encodeURIComponent(text)}`;

// A tab's place survives a reload (sessionStorage) but not the tab: {peer_id, role: 'A'|'B'} for a call.
const storageKey = (callId) => `zvonim.call.${callId}`;

export function loadPlace(callId) {
  try {
    const place = JSON.parse(sessionStorage.getItem(storageKey(callId)) ?? 'null');
    return typeof place?.peer_id === 'string' ? place : null;
  } catch {
    return null;
  }
}

export function savePlace(callId, place) {
  try {
    sessionStorage.setItem(storageKey(callId), JSON.stringify(place));
  } catch {
    // storage disabled: the call still works, only a reload will join anew
  }
}

export function forgetPlace(callId) {
  try {
    sessionStorage.removeItem(storageKey(callId));
  } catch {
    // nothing to forget
  }
}
