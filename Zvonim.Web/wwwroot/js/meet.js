// /meet?chat=<id> or /meet?group=<id>: a chat's or group's call through the server's media forwarder (seed 001).
// One RTCPeerConnection to the server: the page offers its camera and microphone, the server answers; when others'
// tracks come or go the server offers and the page answers. Each other participant is a tile (a stream per session).
import { t, translatePage } from './i18n.js';
import { deviceNoticeKey, mediaToggles, openMedia } from './media.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const kind = params.has('group') ? 'group' : 'chat';
const roomId = Number(params.get(kind));
const token = localStorage.getItem('zvonim.token');
const sessionKey = `zvonim.session.${kind}.${roomId}`;
const sessionId = sessionStorage.getItem(sessionKey) ?? crypto.randomUUID();
sessionStorage.setItem(sessionKey, sessionId);

const state = { status: 'starting', names: {}, remote: new Map(), left: false, error: '', sockets: 0, attempts: 0, problems: {} };

/** Close codes after which coming back is pointless: left, removed from the group, no such room. */
const FINAL = new Set([1000, 4403, 4404, 4409, 4410]);
let pc = null;
let ws = null;
const local = { audio: null, video: null };
const transceivers = {}; // kind → the transceiver that sends this page's track of that kind (or only receives)
let negotiation = Promise.resolve();
let failedOpens = 0; // sockets in a row that closed before they opened
let videoWatch = 0; // the timer that looks for others' cameras being off

function render() {
  const status = state.error ? 'error' : state.left ? 'left' : state.status;
  $('status').dataset.state = status;
  $('status-text').textContent = t(`meet.status.${status}`, { message: state.error, count: state.remote.size });
  const grid = $('grid');
  grid.dataset.count = String(state.remote.size + 1);
  const notice = deviceNoticeKey(state.problems, { group: true });
  $('notice').hidden = !notice;
  if (notice) $('notice').textContent = t(notice);
  const mic = !!local.audio?.enabled;
  const cam = !!local.video;
  $('mic').classList.toggle('off', !mic);
  $('mic').setAttribute('aria-pressed', String(mic));
  $('cam').classList.toggle('off', !cam);
  $('cam').setAttribute('aria-pressed', String(cam));
  const shown = $('local-video').srcObject?.getVideoTracks()[0] ?? null;
  if (shown !== local.video) $('local-video').srcObject = local.video ? new MediaStream([local.video]) : null;
  $('local-tile').dataset.video = local.video ? 'on' : 'none';
}

function send(type, extra = {}) {
  if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, roomId, sessionId, ...extra }));
}

/** A tile shows its participant's name, and screen readers call it by that name. */
function nameTile(entry) {
  const name = state.names[entry.userId] ?? '…';
  entry.tile.querySelector('.label').textContent = name;
  entry.tile.setAttribute('aria-label', name);
}

function tileFor(stream) {
  let entry = state.remote.get(stream.id);
  if (entry) return entry;
  const [userId] = stream.id.split('.');
  const tile = document.createElement('article');
  tile.className = 'tile remote';
  tile.dataset.stream = stream.id;
  tile.dataset.video = 'on';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.srcObject = stream;
  const label = document.createElement('span');
  label.className = 'label';
  tile.append(video, label);
  $('grid').append(tile);
  entry = { stream, tile, userId };
  nameTile(entry);
  state.remote.set(stream.id, entry);
  stream.onremovetrack = () => {
    if (stream.getTracks().some((track) => track.readyState === 'live')) return;
    tile.remove();
    state.remote.delete(stream.id);
    render();
  };
  video.play().catch(() => {});
  render();
  return entry;
}

async function onOffer(sdp) {
  if (pc.signalingState !== 'stable') await pc.setLocalDescription({ type: 'rollback' }); // the server's offer wins the glare
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  send('answer', { payload: { type: 'answer', sdp: pc.localDescription.sdp } });
}

function onMessage(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (message.type === 'answer') negotiation = negotiation.then(() => pc.setRemoteDescription({ type: 'answer', sdp: message.payload.sdp })).catch(warn);
  else if (message.type === 'offer') negotiation = negotiation.then(() => onOffer(message.payload.sdp)).catch(warn);
  else if (message.type === 'error') warn(`${message.error}: ${message.message}`);
}

function warn(e) {
  console.warn('zvonim:', e);
}

/** Whether this user may join: the chat or group is among theirs (its members' names are kept for the tiles).
 *  'ok', 'signed-out' (the token is no longer valid), 'refused' (not a member, or no such chat or group) or
 *  'unknown' (the server could not be asked). A socket refused before its upgrade shows the page no reason. */
async function checkAccess() {
  let rooms;
  try {
    const response = await fetch(`/api/v1/${kind === 'group' ? 'groups' : 'chats'}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status === 401) return 'signed-out';
    if (!response.ok) return 'unknown';
    rooms = await response.json();
  } catch (e) {
    warn(e);
    return 'unknown';
  }
  const room = rooms.find((r) => r.id === roomId);
  if (!room) return 'refused';
  for (const member of room.members ?? []) state.names[member.id] = member.username;
  $('room-name').textContent = room.name ?? (room.members ?? []).map((m) => m.username).join(', ');
  for (const entry of state.remote.values()) nameTile(entry);
  return 'ok';
}

/**
 * Seed 001 has no word for "my camera is off", and the server forwards only what arrives: a participant who turns
 * the camera off simply stops sending video. A tile whose video has decoded no new frame for two looks a second apart
 * shows its name on dark instead of a frozen last frame (or a black box for someone without a camera).
 */
async function watchVideo() {
  const report = await pc?.getStats().catch(() => null);
  if (!report) return;
  const decoded = new Map(); // track id → frames decoded, the most of any of its streams (an SSRC change leaves two)
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video' || !s.trackIdentifier) return;
    decoded.set(s.trackIdentifier, Math.max(decoded.get(s.trackIdentifier) ?? 0, s.framesDecoded ?? 0));
  });
  for (const entry of state.remote.values()) {
    const track = entry.stream.getVideoTracks().find((candidate) => candidate.readyState === 'live');
    const frames = (track && decoded.get(track.id)) ?? 0;
    if (track?.id !== entry.trackId) {
      entry.trackId = track?.id; // another track: its count starts afresh
      entry.frames = 0;
    }
    entry.still = frames > (entry.frames ?? 0) ? 0 : (entry.still ?? 0) + 1;
    entry.frames = frames;
    entry.tile.dataset.video = entry.still >= 2 ? 'none' : 'on';
  }
}

/** Lets go of the camera, the microphone and the connection to the server's media. */
function release() {
  clearInterval(videoWatch);
  pc?.close();
  for (const track of [local.audio, local.video]) track?.stop();
  local.audio = local.video = null;
}

/** A final end: the page says why and lets go of everything. */
function end(message) {
  state.error = message;
  ws?.close(1000);
  release();
  render();
}

/** What checkAccess found, when it is not 'ok'. */
function refuse(access) {
  if (access === 'signed-out') {
    localStorage.removeItem('zvonim.token');
    location.assign('/app');
    return;
  }
  end(t('meet.refused'));
}

/** (Re)negotiates from this side: the first time, after a socket that dropped before the answer came, and when the
 *  page starts sending a kind it only received before. */
function offer() {
  negotiation = negotiation.then(async () => {
    if (pc.signalingState === 'closed') return;
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
    await pc.setLocalDescription(await pc.createOffer());
    send('offer', { payload: { type: 'offer', sdp: pc.localDescription.sdp } });
  }).catch(warn);
}

/** Opens the call socket and joins with this tab's sessionId. Until a negotiation has completed the page offers its
 *  tracks; after a drop it only joins again, and the server continues the session (the media never stopped: it does
 *  not go through the socket). Sockets that fail to open are tried again less and less often, and every third
 *  failure asks over HTTP whether the user may still come in. */
function connect() {
  state.attempts += 1;
  let opened = false;
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/${kind}/${roomId}/call`, ['access_token', token]);
  ws.onmessage = onMessage;
  ws.onclose = async (e) => {
    if (state.left || state.error) return;
    if (FINAL.has(e.code)) {
      end(e.reason || `closed (${e.code})`);
      return;
    }
    if (opened) failedOpens = 0;
    else failedOpens += 1;
    if (failedOpens > 0 && failedOpens % 3 === 0) {
      const access = await checkAccess();
      if (access !== 'ok' && access !== 'unknown') {
        refuse(access);
        return;
      }
    }
    setTimeout(connect, Math.min(30_000, 1000 * 2 ** failedOpens));
  };
  ws.onopen = () => {
    opened = true;
    state.sockets += 1;
    send('join');
    if (!pc.currentRemoteDescription) {
      state.status = 'connecting';
      offer();
    }
    render();
  };
}

async function start() {
  translatePage();
  if (!token) {
    location.assign('/app');
    return;
  }
  if (!Number.isSafeInteger(roomId) || roomId <= 0) {
    end(t('meet.badLink'));
    return;
  }
  // Asked before the camera: a page that may not join never lights it.
  const access = await checkAccess();
  if (access !== 'ok' && access !== 'unknown') {
    refuse(access);
    return;
  }
  const found = await openMedia(); // each device on its own when both are not there: no camera still leaves the microphone
  if (state.error) {
    found.audio?.stop();
    found.video?.stop();
    return;
  }
  Object.assign(local, { audio: found.audio, video: found.video });
  state.problems = found.problems;
  const stream = new MediaStream([local.audio, local.video].filter(Boolean));
  pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  // A section of each kind in every offer, sending or not: a page without a camera or a microphone still joins, and
  // may start one later without another kind of section.
  for (const kind of ['audio', 'video']) {
    transceivers[kind] = pc.addTransceiver(local[kind] ?? kind, { direction: local[kind] ? 'sendrecv' : 'recvonly', streams: [stream] });
  }
  pc.ontrack = (e) => tileFor(e.streams[0] ?? new MediaStream([e.track]));
  pc.onconnectionstatechange = () => {
    if (state.error || state.left) return;
    state.status = pc.connectionState === 'connected' ? 'connected' : pc.connectionState === 'failed' ? 'failed' : 'connecting';
    render();
    // The server lost this session (it stayed away past the grace): start over.
    if (pc.connectionState === 'failed') setTimeout(() => location.reload(), 2000);
  };
  pc.onicecandidate = (e) => e.candidate && send('ice', { payload: e.candidate.toJSON() });
  videoWatch = setInterval(() => watchVideo().catch(warn), 1000);
  connect();
  const toggles = mediaToggles({
    local,
    state,
    view: { setLocalVideo: () => render() },
    setTrack: async (kind, track) => {
      const transceiver = transceivers[kind];
      await transceiver.sender.replaceTrack(track);
      if (track && transceiver.direction === 'recvonly') {
        transceiver.direction = 'sendrecv';
        offer();
      }
    },
    changed: render,
    isOver: () => state.left || !!state.error,
  });
  $('mic').onclick = () => toggles.toggleMic();
  $('cam').onclick = () => toggles.toggleCam();
  $('leave').onclick = () => {
    state.left = true;
    send('leave');
    release();
    render();
    location.assign('/app');
  };
  render();
}

// For people debugging in the console, and for the end-to-end tests: what arrives from each other participant.
window.zvonim = {
  get state() {
    return { status: $('status').dataset.state, remote: [...state.remote.keys()], names: state.names, sockets: state.sockets,
      attempts: state.attempts, liveTracks: [local.audio, local.video].filter((track) => track?.readyState === 'live').length };
  },
  /** Loses the call socket as a network drop would; the page reconnects by itself. */
  dropSocket: () => ws?.close(4000, 'dropped'),
  get pc() {
    return pc;
  },
  async stats() {
    if (!pc) return null;
    const report = await pc.getStats();
    const inbound = [];
    let senderReports = 0; // sender reports of others' streams that reached this page through the server
    report.forEach((s) => {
      if (s.type === 'remote-outbound-rtp' && (s.reportsSent ?? 0) > 0) senderReports += 1;
      if (s.type === 'inbound-rtp') {
        inbound.push({ kind: s.kind, ssrc: s.ssrc, packetsReceived: s.packetsReceived ?? 0, framesDecoded: s.framesDecoded ?? 0,
          totalSamplesReceived: s.totalSamplesReceived ?? 0, trackIdentifier: s.trackIdentifier });
      }
    });
    return { connection: pc.connectionState, inbound, streams: [...state.remote.keys()], senderReports };
  },
};

start().catch((e) => {
  state.error = e.message;
  render();
});
