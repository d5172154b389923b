// The /app page's DOM: renders a plain view model, reports what the person does. No call logic here.
import { t, translatePage } from './i18n.js';
import { deviceNoticeKey } from './media.js';

const $ = (id) => document.getElementById(id);

/** A soft two-tone ring, repeated while a call rings (silent where the browser allows no sound yet). */
class RingTone {
  #context = null;
  #timer = 0;

  start() {
    if (this.#timer) return;
    const beep = () => {
      try {
        this.#context ??= new AudioContext();
        const now = this.#context.currentTime;
        for (const [at, hz] of [[0, 660], [0.25, 880]]) {
          const tone = this.#context.createOscillator();
          const gain = this.#context.createGain();
          tone.frequency.value = hz;
          gain.gain.setValueAtTime(0.08, now + at);
          gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.22);
          tone.connect(gain).connect(this.#context.destination);
          tone.start(now + at);
          tone.stop(now + at + 0.24);
        }
      } catch {
        // no audio: the screen still says it rings
      }
    };
    beep();
    this.#timer = setInterval(beep, 2000);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
  }
}

export class AppView {
  #ring = new RingTone();
  #onCall;

  constructor({ onSignIn, onSignUp, onSignOut, onCall, onAccept, onReject, onCancel, onMic, onCam, onHangUp }) {
    translatePage();
    this.#onCall = onCall;
    const credentials = () => [$('username').value.trim(), $('password').value];
    $('auth').addEventListener('submit', (e) => {
      e.preventDefault();
      onSignIn(...credentials());
    });
    $('sign-up').addEventListener('click', () => {
      if ($('auth').reportValidity()) onSignUp(...credentials());
    });
    $('sign-out').addEventListener('click', onSignOut);
    $('accept').addEventListener('click', onAccept);
    $('reject').addEventListener('click', onReject);
    $('cancel').addEventListener('click', onCancel);
    $('mic').addEventListener('click', onMic);
    $('cam').addEventListener('click', onCam);
    $('hangup').addEventListener('click', onHangUp);
    $('sound').addEventListener('click', () => {
      $('remote-video').muted = false;
      $('remote-video').play().then(() => ($('sound').hidden = true), () => {});
    });
  }

  authError(message) {
    $('auth-error').textContent = message;
    $('auth-error').hidden = !message;
  }

  ring(on) {
    if (on) this.#ring.start();
    else this.#ring.stop();
  }

  setLocalVideo(track) {
    $('local-video').srcObject = track ? new MediaStream([track]) : null;
  }

  setRemoteStream(stream) {
    const video = $('remote-video');
    if (video.srcObject !== stream) video.srcObject = stream;
    this.playRemote();
  }

  playRemote() {
    const video = $('remote-video');
    if (!video.srcObject || !video.paused) return;
    video.play().catch((e) => {
      if (e.name !== 'NotAllowedError') return;
      video.muted = true;
      video.play().catch(() => {});
      $('sound').hidden = false;
    });
  }

  /**
   * @param {object} m
   * @param {string} m.status   status key (app.status.* in i18n)
   * @param {string} m.me       the signed-in user's name
   * @param {{id: string, username: string, online: boolean}[]} m.users  the others
   * @param {{id, role, peer, phase}|null} m.call
   * @param {{reason: string, peer: string}|null} m.ended  how the last call ended
   * @param {string} m.notice
   * @param {{audio?: string, video?: string}} [m.problems]  devices that could not be opened for the call
   */
  render(m) {
    const phase = m.status === 'signedOut' ? 'signedOut' : m.call?.phase === 'active' ? 'call' : 'home';
    document.body.dataset.phase = phase;
    const text = t(`app.status.${m.status}`, { name: m.call?.peer ?? '' });
    const status = $('status');
    if (status.dataset.state !== m.status || $('status-text').textContent !== text) {
      status.dataset.state = m.status;
      $('status-text').textContent = text;
      document.title = `${text} — ${t('appName')}`;
    }
    $('me').textContent = m.me ? t('app.signedInAs', { name: m.me }) : '';
    $('me').hidden = !m.me;
    $('sign-out').hidden = phase === 'signedOut';

    $('auth').hidden = phase !== 'signedOut';
    $('people').hidden = phase !== 'home' || !!m.call;
    $('ringing').hidden = m.call?.phase !== 'ringing';
    $('ring-text').textContent = m.call ? t('app.isCalling', { name: m.call.peer }) : '';
    $('outgoing').hidden = m.call?.phase !== 'calling';
    $('out-text').textContent = m.call ? t('app.calling', { name: m.call.peer }) : '';
    this.#users(m.users, m.status === 'idle');

    const device = m.call ? deviceNoticeKey(m.problems) : null;
    const notice = m.notice || (device ? t(device) : '') || (m.ended ? t(`app.end.${m.ended.reason}`, { name: m.ended.peer }) : '');
    $('notice').textContent = notice;
    $('notice').hidden = !notice || phase === 'signedOut';
    $('notice').dataset.reason = m.ended?.reason ?? '';

    const inCall = phase === 'call';
    $('stage').hidden = !inCall;
    $('controls').hidden = !inCall;
    $('remote-name').textContent = m.call?.peer ?? '';
    $('remote-tile').dataset.video = inCall && m.remoteVideo ? 'on' : 'none';
    const waiting = inCall && !m.remoteVideo ? t(`app.status.${m.status}`, { name: m.call?.peer ?? '' }) : '';
    $('remote-message').textContent = waiting;
    $('remote-message').hidden = !waiting;
    $('local-tile').dataset.video = m.localVideo ? 'on' : 'none';
    for (const [id, on] of [['mic', m.local.mic], ['cam', m.local.cam]]) {
      $(id).setAttribute('aria-pressed', String(on));
      $(id).classList.toggle('off', !on);
    }
  }

  #users(users, canCall) {
    const list = $('users');
    $('nobody').hidden = users.length > 0;
    const key = JSON.stringify([users, canCall]);
    if (list.dataset.key === key) return; // unchanged: keep focus and hover where they are
    list.dataset.key = key;
    list.replaceChildren(...users.map((user) => {
      const item = document.createElement('li');
      item.dataset.user = user.username;
      item.dataset.online = String(user.online);
      const dot = document.createElement('span');
      dot.className = 'presence';
      dot.title = t(user.online ? 'app.online' : 'app.offline');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = user.username;
      const call = document.createElement('button');
      call.type = 'button';
      call.className = 'button primary';
      call.textContent = t('app.call');
      call.setAttribute('aria-label', t('app.callName', { name: user.username }));
      call.disabled = !canCall;
      call.addEventListener('click', () => this.#onCall(user));
      item.append(dot, name, call);
      return item;
    }));
  }
}
