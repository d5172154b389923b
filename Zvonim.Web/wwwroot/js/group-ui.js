// The group-room page's DOM: the name form, the grid of tiles (you, the invitation, one per other participant),
// the controls. Renders a plain view model and reports what the user does; no room logic here.
import { qrImageUrl } from './api.js';
import { t, translatePage } from './i18n.js';
import { copyShareLink } from './ui.js';

const $ = (id) => document.getElementById(id);

export class GroupView {
  #tiles = new Map(); // user_id → {tile, video, message, name, mic}
  #muted = false; // autoplay with sound was refused: every remote video plays muted until a click
  #inviteOpen = false; // the invitation asked for with the Invite button (it shows by itself while alone)
  #last = null; // the last view model

  constructor({ onJoin, onMic, onCam, onLeave }) {
    translatePage();
    this.el = {
      status: $('status'),
      statusText: $('status-text'),
      notice: $('notice'),
      sound: $('sound'),
      joinForm: $('join-form'),
      roomPeople: $('room-people'),
      name: $('name'),
      join: $('join'),
      joinError: $('join-error'),
      over: $('over'),
      overText: $('over-text'),
      grid: $('grid'),
      localTile: $('local-tile'),
      localVideo: $('local-video'),
      localName: $('local-name'),
      localMic: $('local-mic'),
      invite: $('invite'),
      shareLink: $('share-link'),
      copy: $('copy'),
      qr: $('qr'),
      template: $('tile-template'),
      controls: $('controls'),
      mic: $('mic'),
      cam: $('cam'),
      inviteCopy: $('invite-copy'),
      inviteCopyText: $('invite-copy-text'),
      leave: $('leave'),
    };
    const { el } = this;
    el.joinForm.addEventListener('submit', (event) => {
      event.preventDefault();
      onJoin(el.name.value.trim());
    });
    el.mic.addEventListener('click', onMic);
    el.cam.addEventListener('click', onCam);
    el.leave.addEventListener('click', onLeave);
    el.copy.addEventListener('click', () => copyShareLink(el.copy, el.shareLink));
    el.inviteCopy.addEventListener('click', () => {
      this.#inviteOpen = !this.#inviteOpen;
      if (this.#last) this.render(this.#last);
      if (this.#inviteOpen) el.copy.focus();
    });
    el.shareLink.addEventListener('focus', () => el.shareLink.select());
    el.invite.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.#inviteOpen) return;
      this.#inviteOpen = false;
      if (this.#last) this.render(this.#last);
      el.inviteCopy.focus();
    });
    el.sound.addEventListener('click', () => {
      this.#muted = false;
      el.sound.hidden = true;
      for (const { video } of this.#tiles.values()) {
        video.muted = false;
        video.play().catch(() => {});
      }
    });
  }

  setShareLink(link) {
    this.el.shareLink.value = link;
    this.el.qr.src = qrImageUrl(link);
  }

  /** The name form, with who is in the room already (null: unknown). */
  askName({ name, people, error, busy }) {
    const { el } = this;
    const shown = el.joinForm.hidden; // just shown: the name field gets the focus
    el.joinForm.hidden = false;
    if (name !== undefined && !el.name.value) el.name.value = name;
    if (people !== undefined) {
      el.roomPeople.textContent = people === null ? '' : people.length ? t('roomPeople', { names: people.join(', ') }) : t('roomEmpty');
      el.roomPeople.hidden = people === null;
    }
    el.joinError.textContent = error ?? '';
    el.joinError.hidden = !error;
    el.join.disabled = !!busy;
    el.name.disabled = !!busy;
    el.join.textContent = t(busy ? 'joiningRoom' : 'join');
    if (!busy && (shown || error)) el.name.focus();
  }

  hideNameForm() {
    this.el.joinForm.hidden = true;
  }

  setLocalName(name) {
    this.el.localName.textContent = name ? t('youNamed', { name }) : t('you');
  }

  setLocalVideo(track) {
    this.el.localVideo.srcObject = track ? new MediaStream([track]) : null;
  }

  /** A tile for another participant, in joining order. */
  addTile(userId, name) {
    if (this.#tiles.has(userId)) return;
    const tile = this.el.template.content.firstElementChild.cloneNode(true);
    translatePage(tile);
    tile.dataset.userId = userId;
    const entry = {
      tile,
      video: tile.querySelector('video'),
      message: tile.querySelector('.remote-message'),
      name: tile.querySelector('.name'),
      mic: tile.querySelector('.mic-off'),
    };
    entry.video.muted = this.#muted;
    this.#tiles.set(userId, entry);
    this.el.grid.append(tile);
    this.setTileName(userId, name);
  }

  setTileName(userId, name) {
    const entry = this.#tiles.get(userId);
    if (!entry) return;
    entry.name.textContent = name || '…';
    entry.tile.setAttribute('aria-label', name || '…');
  }

  removeTile(userId) {
    const entry = this.#tiles.get(userId);
    if (!entry) return;
    this.#tiles.delete(userId);
    entry.video.srcObject = null;
    entry.tile.remove();
  }

  /** Shows a participant's stream; plays its sound, or offers a button when autoplay with sound is blocked. */
  setStream(userId, stream) {
    const entry = this.#tiles.get(userId);
    if (!entry) return;
    if (entry.video.srcObject !== stream) entry.video.srcObject = stream;
    this.play(userId);
  }

  play(userId) {
    const entry = this.#tiles.get(userId);
    const video = entry?.video;
    if (!video?.srcObject || !video.paused) return;
    video.play().catch((e) => {
      if (e.name !== 'NotAllowedError') return;
      this.#muted = true; // the picture now, the sound after a click
      video.muted = true;
      video.play().catch(() => {});
      this.el.sound.hidden = false;
    });
  }

  /**
   * @param {object} m
   * @param {string} m.phase              starting | name | room | over
   * @param {string} m.status             status key (group.* in i18n)
   * @param {object} m.statusVars
   * @param {string[]} m.notices          i18n keys
   * @param {boolean} m.alone             nobody else is here: the invitation shows
   * @param {boolean} m.localVideo
   * @param {{mic: boolean, cam: boolean}} m.local
   * @param {{id: string, state: string, video: boolean, cam: boolean, mic: boolean}[]} m.tiles
   *        state: connecting | connected | reconnecting | failed
   */
  render(m) {
    this.#last = m;
    const { el } = this;
    const text = t(`group.${m.status}`, m.statusVars);
    if (el.status.dataset.state !== m.status || el.statusText.textContent !== text) {
      el.status.dataset.state = m.status;
      el.statusText.textContent = text;
      document.title = `${text} — ${t('appName')}`;
    }
    const notice = m.notices.map((key) => t(key)).join(' ');
    if (el.notice.textContent !== notice) el.notice.textContent = notice;
    el.notice.hidden = notice === '';

    document.body.dataset.phase = m.phase;
    const inRoom = m.phase === 'room';
    el.over.hidden = m.phase !== 'over';
    if (m.phase === 'over') {
      el.overText.textContent = text;
      el.joinForm.hidden = true;
      el.sound.hidden = true;
    }
    el.grid.hidden = !inRoom;
    el.controls.hidden = !inRoom;

    // Alone, the invitation is a tile of its own; asked for later, it floats over the tiles.
    const invite = m.alone || this.#inviteOpen;
    el.invite.hidden = !invite;
    el.invite.classList.toggle('floating', invite && !m.alone);
    el.inviteCopy.setAttribute('aria-expanded', String(invite));
    el.inviteCopy.classList.toggle('active', invite);
    el.inviteCopy.disabled = m.alone;
    el.grid.dataset.count = String(1 + (m.alone ? 1 : 0) + m.tiles.length);

    el.localTile.dataset.video = m.localVideo ? 'on' : 'none';
    el.localMic.hidden = m.local.mic;
    this.#toggle(el.mic, m.local.mic, 'micOffTitle', 'micOnTitle');
    this.#toggle(el.cam, m.local.cam, 'camOffTitle', 'camOnTitle');

    for (const tile of m.tiles) {
      const entry = this.#tiles.get(tile.id);
      if (!entry) continue;
      const showVideo = tile.state === 'connected' && tile.video && tile.cam;
      const message = showVideo ? ''
        : !tile.cam && tile.state === 'connected' ? t('cameraOff')
        : tile.state === 'connected' ? t('tile.soon')
        : t(`tile.${tile.state}`);
      if (entry.message.textContent !== message) entry.message.textContent = message;
      entry.message.hidden = message === '';
      entry.tile.dataset.video = showVideo ? 'on' : 'none';
      entry.tile.dataset.state = tile.state;
      entry.tile.dataset.camera = tile.cam ? 'on' : 'off';
      entry.mic.hidden = tile.mic || tile.state !== 'connected';
    }
  }

  #toggle(button, on, offTitle, onTitle) {
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('off', !on);
    button.title = t(on ? offTitle : onTitle);
  }
}
