// "/": start a call (become its participant A and go to its page, which shows the link to share), or start a group
// room (ask for a name, join as the room's first user and go to /g/{room_id}).
import { createCall, joinRoom, rememberedName, rememberName, saveGroupPlace, savePlace } from './api.js';
import { t, translatePage } from './i18n.js';

translatePage();
document.title = t('appName');

const start = document.getElementById('start');
const error = document.getElementById('error');
const note = document.getElementById('note');
const startGroup = document.getElementById('start-group');
const groupForm = document.getElementById('group-form');
const groupName = document.getElementById('group-name');
const createRoom = document.getElementById('create-room');

const params = new URLSearchParams(location.search);
if (params.has('left')) {
  note.textContent = t(params.get('left') === 'room' ? 'leftRoomNote' : 'leftNote');
  note.hidden = false;
  params.delete('left');
  history.replaceState(null, '', location.pathname + (params.size ? `?${params}` : ''));
}

// Keep ?lang and ?relay: they are the page's settings, not the call's.
const settings = params.size ? `?${params}` : '';

start.addEventListener('click', async () => {
  start.disabled = true;
  start.textContent = t('creating');
  error.hidden = true;
  try {
    const call = await createCall();
    savePlace(call.call_id, { peer_id: call.peer_id, role: 'A' });
    location.assign(`/c/${encodeURIComponent(call.call_id)}${settings}`);
  } catch (e) {
    error.textContent = t('createFailed', { message: e.message });
    error.hidden = false;
    start.disabled = false;
    start.textContent = t('start');
  }
});

startGroup.addEventListener('click', () => {
  const open = groupForm.hidden;
  groupForm.hidden = !open;
  startGroup.setAttribute('aria-expanded', String(open));
  if (open) {
    if (!groupName.value) groupName.value = rememberedName();
    groupName.focus();
    groupName.select();
  }
});

groupForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = groupName.value.trim();
  error.hidden = true;
  if (!name) {
    error.textContent = t('nameRequired');
    error.hidden = false;
    groupName.focus();
    return;
  }
  createRoom.disabled = true;
  createRoom.textContent = t('creatingRoom');
  try {
    const room = await joinRoom(null, name);
    rememberName(name);
    saveGroupPlace(room.room_id, { user_id: room.user_id, token: room.token, user_name: name });
    location.assign(`/g/${encodeURIComponent(room.room_id)}${settings}`);
  } catch (e) {
    error.textContent = t('createRoomFailed', { message: e.message });
    error.hidden = false;
    createRoom.disabled = false;
    createRoom.textContent = t('createRoom');
  }
});
