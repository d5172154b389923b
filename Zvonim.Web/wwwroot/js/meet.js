// /meet?chat=<id> or /meet?group=<id>: a chat's or group's call through the server's media forwarder (seed 001).
// One RTCPeerConnection to the server: the page offers its camera and microphone, the server answers; when others'
// tracks come or go the server offers and the page answers. Each other participant is a tile (a stream per session).
import { t, translatePage } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const kind = params.has('group') ? 'group' : 'chat';
const roomId = Number(params.get(kind));
const token = localStorage.getItem('zvonim.token');
const sessionKey = `zvonim.session.${kind}.${roomId}`;
const sessionId = sessionStorage.getItem(sessionKey) ?? crypto.randomUUID();
sessionStorage.setItem(sessionKey, sessionId);

const state = { status: 'starting', names: {}, remote: new Map(), left: false, error: '', sockets: 0 };

/** Close codes after which coming back is pointless: left, removed from the group, no such room. */
const FINAL = new Set([1000, 4403, 4404, 4409, 4410]);
let pc = null;
let ws = null;
let local = null;
let negotiation = Promise.resolve();

function render() {
  const status = state.error ? 'error' : state.left ? 'left' : state.status;
  $('status').dataset.state = status;
  $('status-text').textContent = t(`meet.status.${status}`, { message: state.error, count: state.remote.size });
  const grid = $('grid');
  grid.dataset.count = String(state.remote.size + 1);
}

function send(type, extra = {}) {
  if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, roomId, sessionId, ...extra }));
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
  label.textContent = state.names[userId] ?? '…';
  tile.append(video, label);
  $('grid').append(tile);
  entry = { stream, tile, userId };
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

async function loadNames() {
  try {
    const response = await fetch(`/api/v1/${kind === 'group' ? 'groups' : 'chats'}`, { headers: { authorization: `Bearer ${token}` } });
    const rooms = await response.json();
    const room = rooms.find((r) => r.id === roomId);
    for (const member of room?.members ?? []) state.names[member.id] = member.username;
    $('room-name').textContent = room?.name ?? (room?.members ?? []).map((m) => m.username).join(', ');
    for (const entry of state.remote.values()) entry.tile.querySelector('.label').textContent = state.names[entry.userId] ?? '…';
  } catch (e) {
    warn(e);
  }
}

/** Opens the call socket. The first time the page offers its tracks; after a drop it only joins again with its
 *  sessionId, and the server continues the session (the media never stopped: it does not go through the socket). */
function connect(first) {
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/${kind}/${roomId}/call`, ['access_token', token]);
  ws.onmessage = onMessage;
  ws.onclose = (e) => {
    if (state.left) return;
    if (FINAL.has(e.code)) {
      state.error = e.reason || `closed (${e.code})`;
      render();
      return;
    }
    setTimeout(() => connect(false), 1000);
  };
  ws.onopen = () => {
    state.sockets += 1;
    send('join');
    if (first) {
      state.status = 'connecting';
      negotiation = negotiation.then(async () => {
        await pc.setLocalDescription(await pc.createOffer());
        send('offer', { payload: { type: 'offer', sdp: pc.localDescription.sdp } });
      }).catch(warn);
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
  loadNames();
  try {
    local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
  } catch {
    local = new MediaStream();
    $('notice').textContent = t('notice.group.noCamMic');
    $('notice').hidden = false;
  }
  $('local-video').srcObject = local;
  $('local-tile').dataset.video = local.getVideoTracks().length ? 'on' : 'none';
  pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  for (const track of local.getTracks()) pc.addTrack(track, local);
  pc.ontrack = (e) => tileFor(e.streams[0] ?? new MediaStream([e.track]));
  pc.onconnectionstatechange = () => {
    state.status = pc.connectionState === 'connected' ? 'connected' : pc.connectionState === 'failed' ? 'failed' : 'connecting';
    render();
    // The server lost this session (it stayed away past the grace): start over.
    if (pc.connectionState === 'failed' && !state.left) setTimeout(() => location.reload(), 2000);
  };
  pc.onicecandidate = (e) => e.candidate && send('ice', { payload: e.candidate.toJSON() });
  connect(true);
  $('mic').onclick = () => {
    for (const track of local.getAudioTracks()) track.enabled = !track.enabled;
    $('mic').classList.toggle('off', !local.getAudioTracks().some((track) => track.enabled));
  };
  $('cam').onclick = () => {
    for (const track of local.getVideoTracks()) track.enabled = !track.enabled;
    $('cam').classList.toggle('off', !local.getVideoTracks().some((track) => track.enabled));
  };
  $('leave').onclick = () => {
    state.left = true;
    send('leave');
    pc.close();
    for (const track of local.getTracks()) track.stop();
    render();
    location.assign('/app');
  };
  render();
}

// For people debugging in the console, and for the end-to-end tests: what arrives from each other participant.
window.zvonim = {
  get state() {
    return { status: $('status').dataset.state, remote: [...state.remote.keys()], names: state.names, sockets: state.sockets };
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
