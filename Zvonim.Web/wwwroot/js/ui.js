// The call page's DOM: renders a plain view model, reports button presses. No call logic here.
import { qrImageUrl } from './api.js';
import { t, translatePage } from './i18n.js';

const $ = (id) => document.getElementById(id);

/** Copies the share link, saying so on the button for a moment; where the clipboard is refused, selects the text. */
export async function copyShareLink(button, field) {
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = t('copied');
  } catch {
    field.focus();
    field.select();
    button.textContent = t('copyFailed');
  }
  clearTimeout(button.resetTimer);
  button.resetTimer = setTimeout(() => (button.textContent = t('copy')), 2500);
}

export class CallView {
  constructor({ onMic, onCam, onHangUp }) {
    translatePage();
    this.el = {
      status: $('status'),
      statusText: $('status-text'),
      notice: $('notice'),
      remoteTile: $('remote-tile'),
      remoteVideo: $('remote-video'),
      remoteMessage: $('remote-message'),
      remoteMic: $('remote-mic'),
      localTile: $('local-tile'),
      localVideo: $('local-video'),
      share: $('share'),
      shareLink: $('share-link'),
      copy: $('copy'),
      qr: $('qr'),
      over: $('over'),
      overText: $('over-text'),
      sound: $('sound'),
      mic: $('mic'),
      cam: $('cam'),
      hangup: $('hangup'),
    };
    this.el.mic.addEventListener('click', onMic);
    this.el.cam.addEventListener('click', onCam);
    this.el.hangup.addEventListener('click', onHangUp);
    this.el.copy.addEventListener('click', () => copyShareLink(this.el.copy, this.el.shareLink));
    this.el.shareLink.addEventListener('focus', () => this.el.shareLink.select());
    this.el.sound.addEventListener('click', () => {
      this.el.remoteVideo.muted = false;
      this.el.remoteVideo.play().then(() => (this.el.sound.hidden = true), () => {});
    });
  }

  setShareLink(link) {
    this.el.shareLink.value = link;
    this.el.qr.src = qrImageUrl(link);
  }

  setLocalVideo(track) {
    this.el.localVideo.srcObject = track ? new MediaStream([track]) : null;
  }

  /** Shows the other participant's stream; plays its sound, or offers a button when autoplay with sound is blocked. */
  setRemoteStream(stream) {
    const video = this.el.remoteVideo;
    if (video.srcObject !== stream) video.srcObject = stream;
    this.playRemote();
  }

  playRemote() {
    const video = this.el.remoteVideo;
    if (!video.srcObject || !video.paused) return;
    video.play().catch((e) => {
      if (e.name !== 'NotAllowedError') return;
      video.muted = true; // play the picture now, the sound after a click
      video.play().catch(() => {});
      this.el.sound.hidden = false;
    });
  }

  /**
   * @param {object} m
   * @param {string} m.status           status key (status.* in i18n)
   * @param {string} [m.statusDetail]    for status 'error'
   * @param {string[]} m.notices         i18n keys
   * @param {boolean} m.share            show the invitation
   * @param {boolean} m.over             the call is over for this page
   * @param {boolean} m.remoteVideo      the other person's picture is live
   * @param {boolean} m.remoteCameraOff
   * @param {boolean} m.remoteMicOff
   * @param {boolean} m.localVideo
   * @param {{mic: boolean, cam: boolean}} m.local
   */
  render(m) {
    const { el } = this;
    const text = t(`status.${m.status}`, { message: m.statusDetail ?? '' });
    if (el.status.dataset.state !== m.status || el.statusText.textContent !== text) {
      el.status.dataset.state = m.status;
      el.statusText.textContent = text;
      document.title = `${text} — ${t('appName')}`;
    }
    const notice = m.notices.map((key) => t(key)).join(' ');
    if (el.notice.textContent !== notice) el.notice.textContent = notice;
    el.notice.hidden = notice === '';

    el.share.hidden = !m.share;
    el.over.hidden = !m.over;
    if (m.over) el.overText.textContent = text;

    // Inside the other person's tile: why there is no picture (camera off, still connecting, reconnecting…).
    const message = m.over || m.share || (m.remoteVideo && !m.remoteCameraOff) ? ''
      : m.remoteCameraOff ? t('cameraOff')
      : m.status === 'connected' ? t('remoteSoon')
      : text;
    el.remoteMessage.textContent = message;
    el.remoteMessage.hidden = message === '';
    el.remoteTile.dataset.video = m.remoteVideo && !m.remoteCameraOff ? 'on' : 'none';
    el.remoteTile.dataset.camera = m.remoteCameraOff ? 'off' : 'on';
    el.remoteTile.dataset.mode = m.over ? 'over' : m.share ? 'share' : 'call';
    el.remoteMic.hidden = !m.remoteMicOff;
    if (m.over) el.sound.hidden = true;

    el.localTile.dataset.video = m.localVideo ? 'on' : 'none';
    this.#toggle(el.mic, m.local.mic, 'micOffTitle', 'micOnTitle', m.over);
    this.#toggle(el.cam, m.local.cam, 'camOffTitle', 'camOnTitle', m.over);
    el.hangup.hidden = m.over;
    document.body.dataset.over = m.over ? 'yes' : 'no';
  }

  #toggle(button, on, offTitle, onTitle, disabled) {
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('off', !on);
    button.title = t(on ? offTitle : onTitle);
    button.disabled = disabled;
  }
}
