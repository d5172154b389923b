// /c/{call_id} (and /r/{token}): take (or resume) a place in the call, open the signalling socket, ask for the
// camera and microphone, and run the WebRTC exchange. Every change goes through render(), which derives the status
// line from the state below.
//
// Page settings: ?relay=1 forces TURN relay (iceTransportPolicy "relay"); ?lang=en|ru picks the language.
import { ApiError, turnConfig } from './api.js';
import { fromPath } from './dialects.js';
import { adoptMedia, deviceNoticeKey, mediaToggles, openMedia } from './media.js';
import { Peer } from './peer.js';
import { Signaling } from './signaling.js';
import { CallView } from './ui.js';

const page = fromPath(location.pathname); // {dialect, id} or null
const relayOnly = new URLSearchParams(location.search).get('relay') === '1';

const state = {
  mediaSettled: false,
  problems: {}, // kind → 'denied' | 'missing' | 'busy' | 'error'
  wsOpen: false,
  wsEverOpen: false,
  socketOpens: 0,
  call: null, // {status, count, connected} from the server
  peerSeen: false, // the other person's socket has been connected at some point
  peerLeft: false,
  terminal: null, // ended | peerLeft | full | notFound | superseded | error
  errorMessage: '',
  remote: { mic: true, cam: true },
};
const local = { audio: null, video: null };
let place = null; // {peer_id, role}
let peer = null;
let signaling = null;
let leaving = false;

const view = new CallView({ onMic: () => toggles.toggleMic(), onCam: () => toggles.toggleCam(), onHangUp: hangUp });
const toggles = mediaToggles({
  local, state, view,
  setTrack: (kind, track) => peer?.setTrack(kind, track),
  changed: () => { sendControlState(); render(); },
});

function statusKey() {
  if (state.terminal) return state.terminal;
  if (!state.mediaSettled) return 'media';
  const pcState = peer?.connectionState;
  if (pcState === 'connected') return 'connected';
  if (!state.wsOpen) return state.wsEverOpen ? 'reconnecting' : 'connecting';
  const call = state.call;
  if (!call) return 'connecting';
  if (call.count < 2) return state.peerLeft ? 'peerGone' : 'waiting';
  if (call.connected < 2) return state.peerSeen ? 'peerAway' : 'connecting';
  if (peer?.failed) return 'failed';
  if (pcState === 'disconnected' || pcState === 'failed') return 'reconnecting';
  return 'connecting';
}

function notices(status) {
  const keys = [deviceNoticeKey(state.problems)].filter(Boolean);
  if (peer?.turnError && status !== 'connected' && !state.terminal) {
    keys.push(peer.turnError === 'auth' ? 'notice.turnRefused' : 'notice.turnUnreachable');
  }
  return keys;
}

function render() {
  const status = statusKey();
  const remoteTrack = peer?.remoteStream.getVideoTracks()[0];
  view.render({
    status,
    statusDetail: state.errorMessage,
    notices: notices(status),
    share: status === 'waiting' || status === 'peerGone',
    over: state.terminal !== null,
    remoteVideo: status === 'connected' && !!remoteTrack && remoteTrack.readyState === 'live' && !remoteTrack.muted,
    remoteCameraOff: status === 'connected' && !state.remote.cam,
    remoteMicOff: status === 'connected' && !state.remote.mic,
    localVideo: !!local.video && !state.terminal,
    local: { mic: !!local.audio?.enabled, cam: !!local.video },
  });
}

/** The call is over for this page: release the camera, close everything, say why. */
function finish(reason, message = '') {
  if (state.terminal) return;
  state.terminal = reason;
  state.errorMessage = message;
  signaling?.stop();
  peer?.close();
  for (const track of [local.audio, local.video]) track?.stop();
  local.audio = local.video = null;
  view.setLocalVideo(null);
  if (reason !== 'superseded' && page) page.dialect.forget(page.id);
  render();
}

function finishFromApiError(e) {
  if (e instanceof ApiError && e.code === 'not_found') finish('notFound');
  else if (e instanceof ApiError && e.code === 'call_full') finish('full');
  else if (e instanceof ApiError && e.code === 'call_ended') finish('ended');
  else finish('error', e.message);
}

function sendControlState() {
  peer?.sendControl({ mic: !!local.audio?.enabled, cam: !!local.video });
}


async function hangUp() {
  if (state.terminal || !place) {
    location.assign('/');
    return;
  }
  leaving = true;
  const closed = new Promise((resolve) => signaling?.addEventListener('close', resolve, { once: true }));
  try {
    await page.dialect.leave(page.id, place, signaling);
    // The server closes our socket once we are out; don't wait long for it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  } catch {
    // the server will notice the socket is gone
  }
  finish('ended');
  location.assign('/?left=1');
}

function onFrame(raw) {
  const frame = page.dialect.fromServer(raw, page.id);
  switch (frame.type) {
    case 'state':
      state.call = { status: frame.status, count: frame.count, connected: frame.connected };
      if (frame.connected >= 2) state.peerSeen = true;
      if (frame.status === 'ended') finish(state.peerLeft ? 'peerLeft' : 'ended');
      break;
    case 'joined':
      place = { ...place, peer_id: frame.peer_id };
      break;
    case 'join':
      state.peerSeen = true;
      state.peerLeft = false;
      if (page.dialect.offersOnJoin(place)) peer.offerOnJoin();
      break;
    case 'leave':
      state.peerLeft = true;
      place = page.dialect.stayAfterPeerLeft(page.id, place);
      state.remote = { mic: true, cam: true };
      peer.onPeerLeft();
      break;
    case 'offer':
    case 'answer':
    case 'ice-candidate':
      peer.onSignal(frame);
      break;
    case 'error':
      console.warn(`zvonim: server says ${frame.error}: ${frame.message}`);
      break;
    default:
      break;
  }
  render();
}

function onSocketClosed({ code, final }) {
  state.wsOpen = false;
  if (final && !leaving) {
    if (code === 4404) finish('notFound');
    else if (code === 4409) finish('full');
    else if (code === 4001) finish('superseded');
    else if (code === 4403) {
      // Our place was given up (too long away): take a new one, as someone opening the link would.
      page.dialect.forget(page.id);
      location.reload();
      return;
    } else finish(state.peerLeft ? 'peerLeft' : 'ended');
  }
  render();
}

async function main() {
  if (!page) {
    finish('notFound');
    return;
  }
  const { dialect, id } = page;
  view.setShareLink(dialect.link(id));
  render();

  try {
    place = await dialect.takePlace(id);
  } catch (e) {
    finishFromApiError(e);
    return;
  }

  const media = openMedia().then((m) => {
    if (!adoptMedia(m, { local, state, view, setTrack: (kind, track) => peer?.setTrack(kind, track) })) return;
    sendControlState();
    render();
  });

  // The URL is read at each (re)connect: a link room hands out our peer_id only once we are in.
  signaling = new Signaling(() => dialect.socketUrl(id, place));
  peer = new Peer({
    offerer: place.role === 'A',
    send: (frame) => signaling.send(dialect.toServer(frame)),
    iceConfig: turnConfig,
    relayOnly,
    tracks: () => ({ ...local }),
    ready: media, // answer nothing before the camera question is settled
  });
  peer.addEventListener('state', render);
  peer.addEventListener('remote-stream', (e) => view.setRemoteStream(e.detail));
  peer.addEventListener('remote-track', () => {
    view.playRemote();
    render();
  });
  peer.addEventListener('control-open', sendControlState);
  peer.addEventListener('control', (e) => {
    state.remote = { mic: e.detail.mic !== false, cam: e.detail.cam !== false };
    render();
  });

  signaling.addEventListener('open', () => {
    state.wsOpen = true;
    state.wsEverOpen = true;
    state.socketOpens += 1;
    render();
  });
  signaling.addEventListener('message', (e) => onFrame(e.detail));
  signaling.addEventListener('close', (e) => onSocketClosed(e.detail));
  signaling.start();
}

// For people debugging a call in the console, and for the end-to-end tests.
window.zvonim = {
  get status() {
    return statusKey();
  },
  get state() {
    return structuredClone({ ...state, status: statusKey(), place });
  },
  get pc() {
    return peer?.pc ?? null;
  },
  stats: () => peer?.stats() ?? Promise.resolve(null),
  /** Loses the signalling socket as a network drop would; it reconnects by itself. */
  dropSocket: () => signaling?.drop(),
};

main().catch((e) => finish('error', e.message));
