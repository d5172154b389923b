// Camera and microphone: ask for both, fall back to whichever is allowed, and say what is missing.

const CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' },
};

/** 'denied' (no permission), 'missing' (no such device), 'busy' (used by another program) or 'error'. */
function classify(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'error';
  }
}

/** One track of a kind ('audio' | 'video'); throws a classified reason. */
export async function openTrack(kind) {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no getUserMedia'), { reason: 'error' });
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: CONSTRAINTS[kind] });
    return stream.getTracks()[0];
  } catch (e) {
    throw Object.assign(e, { reason: classify(e) });
  }
}

/** → {audio: track|null, video: track|null, problems: {audio?: reason, video?: reason}}. Never throws. */
export async function openMedia() {
  const result = { audio: null, video: null, problems: {} };
  if (navigator.mediaDevices?.getUserMedia) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
      result.audio = stream.getAudioTracks()[0] ?? null;
      result.video = stream.getVideoTracks()[0] ?? null;
      return result;
    } catch {
      // one of the two may still be allowed or present: ask for each alone
    }
  }
  for (const kind of ['audio', 'video']) {
    try {
      result[kind] = await openTrack(kind);
    } catch (e) {
      result.problems[kind] = e.reason ?? 'error';
    }
  }
  return result;
}

/**
 * The i18n key that tells the user what is wrong with their own camera and microphone, or null when nothing is. On a
 * plain-http page the browser hides the devices altogether, so "no permission or no device" would mislead: it says
 * that instead. `group` picks the wording for a room of several ("the others" rather than "the other person").
 */
export function deviceNoticeKey(problems = {}, { group = false } = {}) {
  if (!window.isSecureContext) return 'notice.insecure';
  const prefix = group ? 'notice.group.' : 'notice.';
  if (problems.audio && problems.video) return `${prefix}noCamMic`;
  if (problems.video) return `${prefix}noCam`;
  if (problems.audio) return `${prefix}noMic`;
  return null;
}

/**
 * The microphone and camera buttons of a page. Microphone off mutes the track; camera off releases the camera (its
 * light goes out) and sends no picture. `setTrack(kind, track)` puts a track (or null) on the page's connection(s);
 * `changed()` runs after every toggle (tell the others, redraw). `state.problems` records what could not be opened.
 * `isOver()` says the page's call has ended: a device that opens after that is released at once.
 */
export function mediaToggles({ local, state, view, setTrack, changed, isOver = () => !!state.terminal }) {
  const opening = new Set(); // kinds whose device is being asked for: a second click meanwhile does nothing

  async function open(kind) {
    if (opening.has(kind)) return;
    opening.add(kind);
    try {
      const track = await openTrack(kind);
      // The call ended while the browser asked (or its prompt waited): the device is let go at once, not kept on.
      if (isOver() || local[kind]) {
        track.stop();
        return;
      }
      local[kind] = track;
      delete state.problems[kind];
      if (kind === 'video') view.setLocalVideo(local.video);
      await setTrack(kind, local[kind]);
    } catch (e) {
      state.problems[kind] = e.reason ?? 'error';
    } finally {
      opening.delete(kind);
    }
  }

  return {
    async toggleMic() {
      if (local.audio) local.audio.enabled = !local.audio.enabled;
      else await open('audio');
      changed();
    },
    async toggleCam() {
      if (local.video) {
        local.video.stop();
        local.video = null;
        view.setLocalVideo(null);
        await setTrack('video', null);
      } else {
        await open('video');
      }
      changed();
    },
  };
}

/**
 * Takes what openMedia() found into the page: unless the page has already ended (then the tracks are released),
 * keeps the tracks, records what is missing, shows the local picture and puts the tracks on the connection(s) made
 * meanwhile (no renegotiation needed). Returns whether the media was adopted.
 */
export function adoptMedia(found, { local, state, view, setTrack }) {
  if (state.terminal) {
    found.audio?.stop();
    found.video?.stop();
    return false;
  }
  Object.assign(local, { audio: found.audio, video: found.video });
  state.problems = found.problems;
  state.mediaSettled = true;
  view.setLocalVideo(local.video);
  for (const kind of ['audio', 'video']) Promise.resolve(setTrack(kind, local[kind])).catch(() => {});
  return true;
}
