// /app: sign up or in, see who is online, call someone (seed 002). Every device signed in as the callee rings; the
// first to accept gets the call. The socket carries the token as a subprotocol (["access_token", token]), so it is
// never in a URL. WebRTC runs through the same Peer as the other pages, its frames wrapped as webrtc:* with the callId.
//
// Page settings: ?lang=en|ru picks the language.
import { turnConfig } from './api.js';
import { t, translatePage } from './i18n.js';
import { adoptMedia, mediaToggles, openMedia } from './media.js';
import { Peer } from './peer.js';
import { Signaling } from './signaling.js';
import { AppView } from './app-ui.js';

const TOKEN = 'zvonim.token';
const CALL = 'zvonim.call'; // this tab's call, so that a reload comes back into it

const state = {
  token: localStorage.getItem(TOKEN),
  me: null, // {id, username}
  users: [],
  socket: 'closed', // closed | open | ready
  call: null, // {id, role: 'caller' | 'callee', peer: name, phase: 'calling' | 'ringing' | 'active'}
  ended: null, // {reason, peer}: the last call's end, shown until the next one
  notice: '',
  problems: {},
  mediaSettled: false,
};
const local = { audio: null, video: null };
let signaling = null;
let peer = null;
let refresh = 0;

const view = new AppView({
  onSignIn: (name, password) => authenticate('login', name, password),
  onSignUp: (name, password) => authenticate('register', name, password),
  onSignOut: signOut,
  onCall: placeCall,
  onAccept: accept,
  onReject: () => send('call:reject'),
  onCancel: hangUp,
  onMic: () => toggles.toggleMic(),
  onCam: () => toggles.toggleCam(),
  onHangUp: hangUp,
});
const toggles = mediaToggles({
  local, state, view, setTrack: (kind, track) => peer?.setTrack(kind, track), changed: render, isOver: () => !state.call,
});

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    cache: 'no-store',
    headers: { ...(state.token ? { authorization: `Bearer ${state.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 && state.token) signOut(); // the token expired: sign in again
  if (!response.ok) throw Object.assign(new Error(json.message ?? `HTTP ${response.status}`), { status: response.status, code: json.error, body: json });
  return json;
}

function statusKey() {
  if (!state.token) return 'signedOut';
  if (state.socket !== 'ready') return state.socket === 'closed' && state.me ? 'offline' : 'connecting';
  const call = state.call;
  if (!call) return 'idle';
  if (call.phase === 'calling') return 'calling';
  if (call.phase === 'ringing') return 'ringing';
  if (!state.mediaSettled) return 'media';
  return peer?.connectionState === 'connected' ? 'connected' : 'connecting';
}

function render() {
  const status = statusKey();
  const remoteTrack = peer?.remoteStream.getVideoTracks()[0];
  view.render({
    status,
    me: state.me?.username ?? '',
    users: state.users.filter((u) => u.id !== state.me?.id),
    call: state.call,
    ended: state.ended,
    notice: state.notice,
    remoteVideo: status === 'connected' && !!remoteTrack && remoteTrack.readyState === 'live' && !remoteTrack.muted,
    localVideo: !!local.video,
    local: { mic: !!local.audio?.enabled, cam: !!local.video },
    problems: state.problems,
  });
}

async function authenticate(kind, username, password) {
  try {
    if (kind === 'register') await api('POST', '/api/v1/auth/register', { username, password });
    const { accessToken } = await api('POST', '/api/v1/auth/login', { username, password });
    state.token = accessToken;
    localStorage.setItem(TOKEN, accessToken);
    view.authError('');
    await start();
  } catch (e) {
    view.authError(e.message);
  }
}

function signOut() {
  endCall(null);
  state.token = null;
  state.me = null;
  localStorage.removeItem(TOKEN);
  signaling?.stop();
  signaling = null;
  state.socket = 'closed';
  clearInterval(refresh);
  render();
}

async function loadUsers() {
  try {
    state.users = await api('GET', '/api/v1/users');
    render();
  } catch {
    // shown again at the next refresh
  }
}

function send(type, extra = {}) {
  if (state.call) signaling?.send({ type, callId: state.call.id, ...extra });
}

async function placeCall(user) {
  if (state.call) return;
  state.ended = null;
  state.notice = '';
  try {
    const { callId } = await api('POST', '/api/v1/calls', { calleeId: user.id });
    setCall({ id: callId, role: 'caller', peer: user.username, phase: 'calling' });
  } catch (e) {
    if (e.code === 'glare') {
      // They called us at the same moment: theirs is the call; take it.
      setCall({ id: e.body.callId, role: 'callee', peer: user.username, phase: 'ringing' });
      accept();
      return;
    }
    state.notice = e.code === 'busy' ? t('app.busy', { name: user.username }) : e.message;
  }
  render();
}

function setCall(call) {
  state.call = call;
  if (call) sessionStorage.setItem(CALL, JSON.stringify(call));
  else sessionStorage.removeItem(CALL);
  view.ring(call?.phase === 'ringing');
}

function accept() {
  if (state.call?.phase !== 'ringing') return;
  send('call:accept');
  setCall({ ...state.call, phase: 'active' });
  startMedia(false);
  render();
}

/** The call is on: media, and a connection. The caller offers; a page coming back (reload) offers anew. */
function startMedia(offer) {
  const media = openMedia().then((found) => {
    if (!state.call) {
      found.audio?.stop();
      found.video?.stop();
      return;
    }
    adoptMedia(found, { local, state, view, setTrack: (kind, track) => peer?.setTrack(kind, track) });
    render();
  });
  peer = new Peer({
    offerer: offer,
    polite: state.call?.role === 'callee', // both sides may offer (a reload does): the caller's offer wins
    send: (frame) => send(`webrtc:${frame.type}`, Object.fromEntries(Object.entries(frame).filter(([k]) => k !== 'type'))),
    iceConfig: turnConfig,
    relayOnly: false,
    tracks: () => ({ ...local }),
    ready: media,
  });
  peer.addEventListener('state', render);
  peer.addEventListener('remote-stream', (e) => view.setRemoteStream(e.detail));
  peer.addEventListener('remote-track', () => {
    view.playRemote();
    render();
  });
  if (offer) peer.offerOnJoin();
}

async function hangUp() {
  const call = state.call;
  if (!call) return;
  endCall({ reason: call.phase === 'active' ? 'completed' : 'canceled', peer: call.peer });
  try {
    await api('POST', `/api/v1/calls/${encodeURIComponent(call.id)}/end`);
  } catch {
    // it ended already
  }
}

function endCall(ended) {
  peer?.close();
  peer = null;
  for (const track of [local.audio, local.video]) track?.stop();
  local.audio = local.video = null;
  state.mediaSettled = false;
  state.problems = {};
  view.setLocalVideo(null);
  setCall(null);
  state.ended = ended;
  render();
  loadUsers();
}

function onFrame(frame) {
  const call = state.call;
  const ours = call && frame.callId === call.id;
  switch (frame.type) {
    case 'ready':
      state.socket = 'ready';
      loadUsers();
      resume();
      break;
    case 'call:incoming':
      if (call) break; // busy on this device; the server rings us only when the line is free
      state.ended = null;
      setCall({ id: frame.callId, role: 'callee', peer: frame.from, phase: 'ringing' });
      break;
    case 'call:accept':
      if (ours && call.role === 'caller' && call.phase === 'calling') {
        setCall({ ...call, phase: 'active' });
        startMedia(true);
      }
      break;
    case 'call:end':
      if (ours) endCall({ reason: frame.reason, peer: call.peer });
      break;
    case 'webrtc:offer':
    case 'webrtc:answer':
    case 'webrtc:ice-candidate':
      if (ours && peer) peer.onSignal({ ...frame, type: frame.type.slice('webrtc:'.length) });
      break;
    case 'error':
      console.warn(`zvonim: server says ${frame.error}: ${frame.message}`);
      break;
    default:
      break;
  }
  render();
}

/** After a reload: the call this tab was in, if it is still on. */
async function resume() {
  const saved = JSON.parse(sessionStorage.getItem(CALL) ?? 'null');
  if (!saved || state.call) return;
  try {
    const call = await api('GET', `/api/v1/calls/${encodeURIComponent(saved.id)}`);
    if (call.status !== 'active' || state.call) throw new Error('over');
    setCall({ ...saved, phase: 'active' });
    startMedia(true);
  } catch {
    sessionStorage.removeItem(CALL);
  }
  render();
}

async function start() {
  try {
    state.me = await api('GET', '/api/v1/users/me');
  } catch {
    render();
    return;
  }
  signaling = new Signaling(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`, {
    hello: null,
    protocols: () => ['access_token', state.token],
  });
  let closedInARow = 0;
  signaling.addEventListener('open', () => {
    closedInARow = 0;
    state.socket = 'open';
    render();
  });
  signaling.addEventListener('message', (e) => onFrame(e.detail));
  signaling.addEventListener('close', () => {
    state.socket = 'closed';
    // A socket refused before its upgrade (401 once the token has expired, after a laptop slept) shows the page only a
    // close: every third in a row, ask over HTTP, whose 401 signs out so that the user signs in again.
    closedInARow += 1;
    if (closedInARow % 3 === 0) api('GET', '/api/v1/users/me').catch(() => {});
    render();
  });
  signaling.start();
  clearInterval(refresh);
  refresh = setInterval(() => state.socket === 'ready' && !state.call && loadUsers(), 5000);
  render();
}

translatePage();
render();
if (state.token) start();

// For people debugging in the console, and for the end-to-end tests.
window.zvonim = {
  get status() {
    return statusKey();
  },
  get state() {
    return structuredClone({ ...state, token: state.token ? '(set)' : null, status: statusKey() });
  },
  get pc() {
    return peer?.pc ?? null;
  },
  stats: () => peer?.stats() ?? Promise.resolve(null),
  dropSocket: () => signaling?.drop(),
};
