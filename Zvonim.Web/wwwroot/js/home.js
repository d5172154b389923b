// "/": start a call, become its participant A, and go to its page (which shows the link to share).
import { createCall, savePlace } from './api.js';
import { t, translatePage } from './i18n.js';

translatePage();
document.title = t('appName');

const start = document.getElementById('start');
const error = document.getElementById('error');
const note = document.getElementById('note');

const params = new URLSearchParams(location.search);
if (params.has('left')) {
  note.textContent = t('leftNote');
  note.hidden = false;
  params.delete('left');
  history.replaceState(null, '', location.pathname + (params.size ? `?${params}` : ''));
}

start.addEventListener('click', async () => {
  start.disabled = true;
  start.textContent = t('creating');
  error.hidden = true;
  try {
    const call = await createCall();
    savePlace(call.call_id, { peer_id: call.peer_id, role: 'A' });
    // Keep ?lang and ?relay: they are the page's settings, not the call's.
    location.assign(`/c/${encodeURIComponent(call.call_id)}${location.search}`);
  } catch (e) {
    error.textContent = t('createFailed', { message: e.message });
    error.hidden = false;
    start.disabled = false;
    start.textContent = t('start');
  }
});
