// /g/{room_id}: a group room (seed 003), a full mesh: one RTCPeerConnection (a Peer, as on the call page) per other
// participant, negotiated over the room's socket with frames addressed to that participant ("to": user_id).
//
// Joining: a tab that already has a place in the room (sessionStorage: it created the room on "/", or it is a
// reload) goes straight in as the same user; otherwise the page asks for a name and joins (POST /api/room/join).
// Who offers: of any two participants, the one with the smaller user_id, each time it is told the other's socket
// connected ("user-joined": a newcomer is told of everyone online, everyone online of the newcomer, and the same
// again after a reconnect or a reload). The first time that makes a new connection; for someone already known it
// restarts ICE on the connection we have, and the Peer starts a fresh one when the answer shows the other side is
// a new page (a reload). Every frame carries the Peer's session id, so frames of an older connection (held by the
// server while a socket was away) are recognised and dropped. "user-left" closes that connection and its tile.
//
// Page settings: ?relay=1 forces TURN relay; ?lang=en|ru picks the language.
import {
  ApiError, forgetGroupPlace, joinRoom, leaveRoom, loadGroupPlace, rememberedName, rememberName, roomInfo,
  saveGroupPlace, turnConfig,
} from './api.js';
import { t } from './i18n.js';
import { adoptMedia, deviceNoticeKey, mediaToggles, openMedia } from './media.js';
import { Peer } from './peer.js';
import { Signaling } from './signaling.js';
import { GroupView } from './group-ui.js';

const MAX_NAME_LENGTH = 64;

const roomId = (() => {
  const [, prefix, id] = location.pathname.split('/');
  try {
    return prefix === 'g' && id ? decodeURIComponent(id) : null;
  } catch {
    return null;
  }
})();
const relayOnly = new URLSearchParams(location.search).get('relay') === '1';
const link = roomId && `${location.origin}/g/${encodeURIComponent(roomId)}`;

const state = {
  phase: 'starting', // starting | name | joining | room | over
  mediaSettled: false,
  problems: {}, // kind → 'denied' | 'missing' | 'busy' | 'error'
  wsOpen: false,
  wsEverOpen: false,
  socketOpens: 0,
  terminal: null, // left | ended | full | notFound | superseded | error
  errorMessage: '',
};
const local = { audio: null, video: null };
/** @type {{user_id: string, token?: string, user_name: string} | null} */
let place = null;
let signaling = null;
let media = null; // settles when the camera question is answered
let leaving = false;

/** user_id → {id, name, peer, mic, cam}, in the order they were first heard of. */
const remotes = new Map();
/** Users told to have left: their late frames are dropped. */
const gone = new Set();

const view = new GroupView({ onJoin: joinWithName, onMic: () => toggles.toggleMic(), onCam: () => toggles.toggleCam(), onLeave: leave });
const toggles = mediaToggles({
  local, state, view,
  setTrack: (kind, track) => setTrackEverywhere(kind, track),
  changed: () => { sendControlState(); render(); },
});

// --- what the page shows

function statusKey() {
  if (state.terminal) return state.terminal;
  if (state.phase !== 'room') return state.phase;
  if (!state.mediaSettled) return 'media';
  if (!state.wsOpen) return state.wsEverOpen ? 'reconnecting' : 'connecting';
  if (remotes.size === 0) return 'alone';
  return [...remotes.values()].every((r) => r.peer.connectionState === 'connected') ? 'connected' : 'connecting';
}

function tileState(peer) {
  const pcState = peer.connectionState;
  if (pcState === 'connected') return 'connected';
  if (peer.failed) return 'failed';
  if (pcState === 'disconnected' || pcState === 'failed') return 'reconnecting';
  return 'connecting';
}

function notices() {
  const keys = [deviceNoticeKey(state.problems, { group: true })].filter(Boolean);
  const turnError = [...remotes.values()].find((r) => r.peer.turnError && r.peer.connectionState !== 'connected')?.peer.turnError;
  if (turnError && !state.terminal) keys.push(turnError === 'auth' ? 'notice.turnRefused' : 'notice.turnUnreachable');
  return keys;
}

function render() {
  const status = statusKey();
  view.render({
    phase: state.terminal ? 'over' : state.phase === 'room' ? 'room' : state.phase === 'starting' ? 'starting' : 'name',
    status,
    statusVars: { count: remotes.size + 1, message: state.errorMessage },
    notices: state.phase === 'room' ? notices() : [],
    alone: state.phase === 'room' && state.wsEverOpen && remotes.size === 0,
    localVideo: !!local.video && !state.terminal,
    local: { mic: !!local.audio?.enabled, cam: !!local.video },
    tiles: [...remotes.values()].map((r) => {
      const track = r.peer.remoteStream.getVideoTracks()[0];
      return {
        id: r.id,
        state: tileState(r.peer),
        video: !!track && track.readyState === 'live' && !track.muted,
        cam: r.cam,
        mic: r.mic,
      };
    }),
  });
}

// --- the other participants

function makePeer(remote) {
  const peer = new Peer({
    offerer: place.user_id < remote.id,
    send: (frame) => signaling.send({ ...frame, to: remote.id }),
    iceConfig: turnConfig,
    relayOnly,
    tracks: () => ({ ...local }),
    ready: media, // answer nothing before the camera question is settled
  });
  peer.addEventListener('state', render);
  peer.addEventListener('remote-stream', (e) => view.setStream(remote.id, e.detail));
  peer.addEventListener('remote-track', () => {
    view.play(remote.id);
    render();
  });
  peer.addEventListener('control-open', () => sendControlState(peer));
  peer.addEventListener('control', (e) => {
    remote.mic = e.detail.mic !== false;
    remote.cam = e.detail.cam !== false;
    render();
  });
  return peer;
}

function ensureRemote(userId, name) {
  let remote = remotes.get(userId);
  if (remote) {
    if (name && name !== remote.name) {
      remote.name = name;
      view.setTileName(userId, name);
    }
    return remote;
  }
  remote = { id: userId, name: name ?? '', peer: null, mic: true, cam: true };
  remotes.set(userId, remote);
  view.addTile(userId, remote.name);
  remote.peer = makePeer(remote);
  return remote;
}

function removeRemote(userId) {
  const remote = remotes.get(userId);
  if (!remote) return;
  remotes.delete(userId);
  remote.peer.close();
  view.removeTile(userId);
}

function onUserJoined(userId, name) {
  if (!userId || userId === place.user_id) return;
  gone.delete(userId);
  const remote = ensureRemote(userId, name);
  if (remote.peer.offerer) remote.peer.offerOnJoin(); // new: a connection; known: reconnect (or fresh, after a reload)
}

function onFrame(frame) {
  switch (frame.type) {
    case 'user-joined':
      onUserJoined(frame.user_id, frame.user_name);
      break;
    case 'user-left':
      gone.add(frame.user_id);
      removeRemote(frame.user_id);
      break;
    case 'offer':
    case 'answer':
    case 'ice-candidate': {
      const from = frame.from;
      if (typeof from !== 'string' || from === place.user_id || gone.has(from)) break;
      // An offer may overtake the news that its sender connected: it makes the tile, the news names it.
      const remote = frame.type === 'offer' ? ensureRemote(from) : remotes.get(from);
      remote?.peer.onSignal(frame);
      break;
    }
    case 'error':
      console.warn(`zvonim: server says ${frame.error}: ${frame.message}`);
      break;
    default:
      break;
  }
  render();
}

/** After a reconnect: whoever left while our socket was away is no longer in the room. */
async function dropThoseWhoLeft() {
  try {
    const info = await roomInfo(roomId);
    const present = new Set(info.users.map((u) => u.user_id));
    for (const userId of [...remotes.keys()]) {
      if (!present.has(userId)) {
        gone.add(userId);
        removeRemote(userId);
      }
    }
    render();
  } catch {
    // the socket says what matters (a closed room closes it)
  }
}

// --- camera and microphone

function sendControlState(peer) {
  const message = { mic: !!local.audio?.enabled, cam: !!local.video };
  if (peer) peer.sendControl(message);
  else for (const remote of remotes.values()) remote.peer.sendControl(message);
}

function setTrackEverywhere(kind, track) {
  return Promise.all([...remotes.values()].map((r) => r.peer.setTrack(kind, track).catch(() => {})));
}


// --- joining, leaving, the end

/** The room is over for this page: release the camera, close everything, say why. */
function finish(reason, message = '') {
  if (state.terminal) return;
  state.terminal = reason;
  state.errorMessage = message;
  signaling?.stop();
  for (const remote of remotes.values()) remote.peer.close();
  for (const track of [local.audio, local.video]) track?.stop();
  local.audio = local.video = null;
  view.setLocalVideo(null);
  if (reason !== 'superseded') forgetGroupPlace(roomId);
  render();
}

function finishFromApiError(e) {
  if (e instanceof ApiError && e.code === 'not_found') finish('notFound');
  else if (e instanceof ApiError && e.code === 'call_ended') finish('notFound');
  else if (e instanceof ApiError && e.code === 'call_full') finish('full');
  else finish('error', e.message);
}

async function leave() {
  if (state.terminal || !place?.user_id) {
    location.assign('/');
    return;
  }
  leaving = true;
  const closed = new Promise((resolve) => signaling?.addEventListener('close', resolve, { once: true }));
  try {
    await leaveRoom(roomId, place.user_id, place.token);
    // The server closes our socket once we are out; don't wait long for it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  } catch {
    // the server will notice the socket is gone
  }
  finish('left');
  const settings = new URLSearchParams(location.search);
  settings.set('left', 'room');
  location.assign(`/?${settings}`);
}

function onSocketOpen({ reconnected }) {
  state.wsOpen = true;
  state.wsEverOpen = true;
  state.socketOpens += 1;
  if (reconnected) dropThoseWhoLeft();
  render();
}

function onSocketClosed({ code, final }) {
  state.wsOpen = false;
  if (final && !leaving) {
    if (code === 4404 || code === 4410) finish('notFound');
    else if (code === 4409) finish('full');
    else if (code === 4001) finish('superseded');
    else if (code === 4403) {
      // Our place was given up (away too long): join again under the same name, as a new user.
      saveGroupPlace(roomId, { user_id: null, user_name: place.user_name });
      location.reload();
      return;
    } else finish('ended');
  }
  render();
}

/** In the room as place.user_id: the camera, the socket, a Peer per participant as they come. */
function enter() {
  state.phase = 'room';
  view.hideNameForm();
  view.setLocalName(place.user_name);
  render();

  media = openMedia().then((m) => {
    if (!adoptMedia(m, { local, state, view, setTrack: setTrackEverywhere })) return;
    sendControlState();
    render();
  });

  // The room's socket answers nothing to a hello, so there is no heartbeat: the server pings, the browser answers.
  signaling = new Signaling(
    `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws?${new URLSearchParams({ room_id: roomId, user_id: place.user_id, ...(place.token ? { token: place.token } : {}) })}`,
    { hello: null },
  );
  signaling.addEventListener('open', (e) => onSocketOpen(e.detail));
  signaling.addEventListener('message', (e) => onFrame(e.detail));
  signaling.addEventListener('close', (e) => onSocketClosed(e.detail));
  signaling.start();
}

async function joinWithName(name) {
  if (state.phase === 'joining' || state.terminal) return;
  if (!name) {
    view.askName({ error: t('nameRequired') });
    return;
  }
  if (name.length > MAX_NAME_LENGTH) {
    view.askName({ error: t('nameTooLong') });
    return;
  }
  state.phase = 'joining';
  view.askName({ busy: true });
  render();
  try {
    const joined = await joinRoom(roomId, name);
    rememberName(name);
    place = { user_id: joined.user_id, token: joined.token, user_name: name };
    saveGroupPlace(roomId, place);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'invalid_request') {
      state.phase = 'name';
      view.askName({ error: e.message, busy: false });
      render();
    } else {
      finishFromApiError(e);
    }
    return;
  }
  enter();
}

async function main() {
  if (!roomId) {
    finish('notFound');
    return;
  }
  view.setShareLink(link);
  render();

  const kept = loadGroupPlace(roomId);
  if (kept?.user_id) {
    place = kept;
    enter();
    return;
  }
  if (kept?.user_name) {
    await joinWithName(kept.user_name); // our old place was given up: come back under the same name
    return;
  }

  // Ask for a name, saying who is there; a room that does not exist is said at once.
  state.phase = 'name';
  view.askName({ name: rememberedName(), people: null });
  render();
  try {
    const info = await roomInfo(roomId);
    if (state.phase === 'name') view.askName({ people: info.users.map((u) => u.user_name).filter(Boolean) });
  } catch (e) {
    if (state.phase === 'name' && e instanceof ApiError && (e.code === 'not_found' || e.code === 'call_ended')) finish('notFound');
  }
}

// For people debugging a room in the console, and for the end-to-end tests.
const sampler = { timer: 0, latest: new Map(), watches: new Map(), next: 0 };

async function sample() {
  await Promise.all([...remotes.values()].map(async (r) => {
    const stats = await r.peer.stats().catch(() => null);
    if (remotes.get(r.id) === r) sampler.latest.set(r.id, stats);
  }));
  for (const userId of sampler.latest.keys()) if (!remotes.has(userId)) sampler.latest.delete(userId);
}

window.zvonim = {
  get status() {
    return statusKey();
  },
  get state() {
    return structuredClone({
      ...state,
      status: statusKey(),
      room_id: roomId,
      place,
      peers: [...remotes.values()].map((r) => ({
        user_id: r.id,
        user_name: r.name,
        offerer: r.peer.offerer,
        connection: r.peer.connectionState,
        tile: tileState(r.peer),
        mic: r.mic,
        cam: r.cam,
      })),
    });
  },
  /** The RTCPeerConnection with one participant. */
  pc: (userId) => remotes.get(userId)?.peer.pc ?? null,
  /** {user_id: stats} for every other participant (inbound media counters, selected candidate pair). */
  async stats() {
    const entries = await Promise.all([...remotes.values()].map(async (r) => [r.id, await r.peer.stats()]));
    return Object.fromEntries(entries);
  },
  /**
   * Starts watching the media that comes in (sampled four times a second); → a watch id for mediaFlowing.
   * Synchronous reads suit Playwright's waitForFunction.
   */
  watchMedia() {
    if (!sampler.timer) {
      sampler.timer = setInterval(sample, 250);
      sample();
    }
    sampler.next += 1;
    sampler.watches.set(sampler.next, new Map());
    return sampler.next;
  },
  /**
   * The user ids whose media has flowed since the watch began (counted on one connection: a new one starts
   * the count again): at least `frames` more video frames decoded, `audioPackets` more audio packets, and audio
   * samples played.
   */
  mediaFlowing(watch, frames = 15, audioPackets = 25) {
    const base = sampler.watches.get(watch);
    if (!base) return [];
    const flowing = [];
    for (const [userId, now] of sampler.latest) {
      if (!now?.video || !now.audio) continue;
      const first = base.get(userId);
      if (!first || first.session !== now.session) {
        base.set(userId, now);
        continue;
      }
      if (now.video.framesDecoded - first.video.framesDecoded >= frames &&
          now.audio.packetsReceived - first.audio.packetsReceived >= audioPackets &&
          now.audio.totalSamplesReceived > first.audio.totalSamplesReceived) {
        flowing.push(userId);
      }
    }
    return flowing;
  },
  /** The last sample of one participant's inbound media. */
  latestStats: (userId) => structuredClone(sampler.latest.get(userId) ?? null),
  /** Loses the signalling socket as a network drop would; it reconnects by itself. */
  dropSocket: () => signaling?.drop(),
};

main().catch((e) => finish('error', e.message));
