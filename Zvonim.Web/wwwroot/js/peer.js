// The WebRTC side of a call: one RTCPeerConnection at a time, negotiated over the signalling socket.
//
// One side offers (A: in apiv2 the call's creator, in a link room whoever was there first), the other answers.
// Every connection is a "session" with an id chosen by A; every frame carries it, so frames of an older
// connection (held by the server while a socket was away, or crossing a reload) are recognised and dropped:
//   {type: 'offer',  session, seq, sdp}            A → B
//   {type: 'answer', session, seq, answerer, sdp}  B → A   (answerer: id of B's connection)
//   {type: 'ice-candidate', session, candidate}    both ways
// When A hears that B (re)connected, it restarts ICE on the current session. If the answer comes from a different
// B connection (B reloaded), A starts a new session. When the connection fails (or never comes up), A restarts
// ICE, again and again with a growing pause, for as long as the call lasts.
// Offers can cross (both pages reloaded at once, or a reload meets an ICE restart). The polite side then yields: it
// drops its own offer and answers. The impolite side ignores the other's offer and waits for that answer. Two
// polite sides would both answer, and neither answer would be taken.
//
// Events: 'state' (connection state or failure changed), 'remote-stream', 'remote-track', 'control' {detail}.

const CONNECT_TIMEOUT_MS = 15_000;
const DISCONNECTED_GRACE_MS = 4_000;
const MAX_RECOVER_DELAY_MS = 30_000;

const newId = () => crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), '');

export class Peer extends EventTarget {
  #pc = null;
  #channel = null;
  #session = null;
  #answerer = null; // A: the answering connection's id; B: our own connection's id
  #seq = 0;
  #queue;
  #restarts = 0;
  #connectTimer = 0;
  #disconnectTimer = 0;
  #recoverTimer = 0;
  #described = false; // our description went out: candidates may follow
  #heldCandidates = [];
  #gathered = 0;
  #iceServers = null;
  #iceServersAt = 0;
  #iceServersTtl = 0;
  #closed = false;

  /** failed: no connection came up in time (or no relay candidate when relay is forced). */
  failed = false;
  /** 'auth' | 'unreachable' | null: what the TURN server said, if it said no. */
  turnError = null;
  remoteStream = new MediaStream();

  /**
   * @param {object} o
   * @param {boolean} o.offerer   A offers, B answers
   * @param {(frame: object) => boolean} o.send
   * @param {() => Promise<{iceServers: RTCIceServer[], ttl?: number}>} o.iceConfig
   * @param {boolean} o.relayOnly force iceTransportPolicy 'relay'
   * @param {() => {audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} o.tracks
   * @param {Promise<unknown>} o.ready   signalling waits for this (local media settled)
   * @param {boolean} [o.polite]  when offers cross, this side yields (the two sides of a call must differ)
   */
  constructor({ offerer, send, iceConfig, relayOnly, tracks, ready, polite = true }) {
    super();
    Object.assign(this, { offerer, send, iceConfig, relayOnly, tracks, polite });
    this.#queue = Promise.resolve(ready).catch(() => {});
  }

  get pc() {
    return this.#pc;
  }

  get connectionState() {
    return this.#pc?.connectionState ?? 'new';
  }

  /** An offer, answer or ice-candidate frame from the other participant. */
  onSignal(frame) {
    this.#enqueue(() => {
      if (frame.type === 'offer') {
        if (this.offerer) {
          // Our own offer is out, unanswered, and theirs crossed it: the impolite side's offer is the one answered.
          if (!this.polite && this.#pc?.signalingState === 'have-local-offer') return undefined;
          this.#switchRole(false); // link rooms: the other side was told to offer this time
        }
        return this.#onOffer(frame);
      }
      if (frame.type === 'answer' && this.offerer) return this.#onAnswer(frame);
      if (frame.type === 'ice-candidate') return this.#onCandidate(frame);
      return undefined;
    });
  }

  /** The other participant's socket connected (first time, after a drop, or after a reload), and we offer. */
  offerOnJoin() {
    this.#enqueue(() => {
      if (!this.offerer) this.#switchRole(true);
      return this.#pc && this.#answerer ? this.#offer(true) : this.#newSession();
    });
  }

  /** The other participant left: nothing to connect to any more. */
  onPeerLeft() {
    this.#enqueue(() => this.#closePc());
  }

  /** Sends a local track (or null for none) on the connection; no renegotiation needed. */
  async setTrack(kind, track) {
    const transceiver = this.#transceiver(kind);
    if (transceiver) await transceiver.sender.replaceTrack(track);
  }

  /** A small JSON message to the other participant over the data channel (e.g. camera/microphone state). */
  sendControl(message) {
    if (this.#channel?.readyState === 'open') this.#channel.send(JSON.stringify(message));
  }

  /** For good: steps already queued do nothing, no new connection is made. */
  close() {
    this.#closed = true;
    this.#closePc();
  }

  /** Inbound media counters and the selected candidate pair, for the status and for tests. */
  async stats() {
    const pc = this.#pc;
    if (!pc) return null;
    const report = await pc.getStats();
    const result = { session: this.#session, state: pc.connectionState, video: null, audio: null, local: null, remote: null };
    let pairId = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.kind === 'audio')) {
        result[s.kind] = {
          packetsReceived: s.packetsReceived ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          framesDecoded: s.framesDecoded ?? 0,
          totalSamplesReceived: s.totalSamplesReceived ?? 0,
          totalAudioEnergy: s.totalAudioEnergy ?? 0,
        };
      }
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId && report.get(pairId);
    if (pair) {
      const describe = (c) => c && { type: c.candidateType, address: c.address ?? c.ip, port: c.port, protocol: c.protocol };
      result.local = describe(report.get(pair.localCandidateId));
      result.remote = describe(report.get(pair.remoteCandidateId));
    }
    return result;
  }

  #enqueue(step) {
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : step()))
      .catch((e) => {
        if (!this.#closed) console.warn('zvonim: negotiation step failed', e);
      });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #transceiver(kind) {
    return this.#pc?.getTransceivers().find((t) => !t.stopped && t.receiver.track.kind === kind);
  }

  /** Fresh TURN credentials for a new connection; reused for ICE restarts while well inside their lifetime. */
  async #servers(fresh) {
    const ttlMs = (this.#iceServersTtl ?? 0) * 1000;
    if (fresh || !this.#iceServers || (ttlMs > 0 && Date.now() - this.#iceServersAt > ttlMs / 2)) {
      try {
        const config = await this.iceConfig();
        this.#iceServers = config.iceServers ?? [];
        this.#iceServersTtl = config.ttl ?? 0;
      } catch (e) {
        console.warn('zvonim: no ICE servers', e);
        this.#iceServers ??= [];
      }
      this.#iceServersAt = Date.now();
    }
    return this.#iceServers;
  }

  #createPc(iceServers) {
    if (this.#closed) throw new Error('the call is over');
    this.#closePc();
    const pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy: this.relayOnly ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
    });
    this.#pc = pc;
    this.#described = false;
    this.#heldCandidates = [];
    this.failed = false;
    this.turnError = null;
    this.remoteStream = new MediaStream();
    this.#emit('remote-stream', this.remoteStream);

    pc.onicecandidate = ({ candidate }) => {
      if (pc !== this.#pc) return;
      if (candidate) {
        this.#gathered += 1;
        const frame = { type: 'ice-candidate', session: this.#session, candidate: candidate.toJSON() };
        if (this.#described) this.send(frame);
        else this.#heldCandidates.push(frame);
      } else if (this.relayOnly && this.#gathered === 0) {
        // Relay forced and the TURN server gave us nothing: this attempt cannot connect.
        this.#fail();
        this.#recover();
      }
    };
    pc.onicecandidateerror = (e) => {
      if (pc !== this.#pc || !/^turns?:/.test(e.url ?? '')) return;
      this.turnError = e.errorCode === 401 || e.errorCode === 403 ? 'auth' : (this.turnError ?? 'unreachable');
      this.#emit('state');
    };
    pc.ontrack = ({ track }) => {
      if (pc !== this.#pc) return;
      this.remoteStream.addTrack(track);
      const changed = () => this.#emit('remote-track', track);
      track.onmute = changed;
      track.onunmute = changed;
      track.onended = changed;
      changed();
    };
    pc.onconnectionstatechange = () => this.#onConnectionState(pc);

    // Both sides create it with the same id: no extra negotiation.
    const channel = pc.createDataChannel('control', { negotiated: true, id: 0 });
    this.#channel = channel;
    channel.onopen = () => this.#emit('control-open');
    channel.onmessage = (e) => {
      try {
        this.#emit('control', JSON.parse(e.data));
      } catch {
        // not ours
      }
    };
    return pc;
  }

  /** Offerer and answerer see a session differently: a change of role starts from a clean slate. */
  #switchRole(offerer) {
    this.#closePc();
    this.offerer = offerer;
    this.#session = null;
    this.#answerer = null;
  }

  #closePc() {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#disconnectTimer);
    clearTimeout(this.#recoverTimer);
    this.#connectTimer = 0;
    this.#recoverTimer = 0;
    const pc = this.#pc;
    this.#pc = null;
    this.#channel = null;
    if (pc) {
      pc.close();
      this.#emit('state');
    }
  }

  // --- A, the offerer

  async #newSession() {
    const iceServers = await this.#servers(true);
    const pc = this.#createPc(iceServers);
    this.#session = newId();
    this.#answerer = null;
    this.#restarts = 0;
    const tracks = this.tracks();
    for (const kind of ['audio', 'video']) pc.addTransceiver(tracks[kind] ?? kind, { direction: 'sendrecv' });
    await this.#offer(false);
  }

  async #offer(iceRestart) {
    const pc = this.#pc;
    if (!pc) return;
    if (iceRestart) pc.setConfiguration({ ...pc.getConfiguration(), iceServers: await this.#servers(false) });
    const seq = ++this.#seq;
    this.#described = false;
    this.#gathered = 0;
    await pc.setLocalDescription(await pc.createOffer({ iceRestart }));
    if (pc !== this.#pc) return;
    this.#publish({ type: 'offer', session: this.#session, seq, sdp: pc.localDescription.sdp });
  }

  async #onAnswer(frame) {
    const pc = this.#pc;
    if (!pc || frame.session !== this.#session) return; // an older connection's answer
    if (this.#answerer && frame.answerer !== this.#answerer) {
      // B's connection was replaced (a reload): this one cannot be resumed, start over.
      await this.#newSession();
      return;
    }
    if (frame.seq !== this.#seq || pc.signalingState !== 'have-local-offer') return; // answers an older offer
    this.#answerer = frame.answerer;
    await pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
  }

  /** A: an ICE restart after a pause that grows with each attempt (1 s, 2 s, 4 s … 30 s), or at once. */
  #recover(now = false) {
    if (!this.offerer || !this.#pc || this.#recoverTimer) return;
    const delay = now ? 0 : Math.min(MAX_RECOVER_DELAY_MS, 1000 * 2 ** this.#restarts);
    this.#recoverTimer = setTimeout(() => {
      this.#recoverTimer = 0;
      this.#enqueue(async () => {
        if (!this.#pc || this.#pc.connectionState === 'connected') return;
        this.#restarts += 1;
        await this.#offer(true);
      });
    }, delay);
  }

  // --- B, the answerer

  async #onOffer(frame) {
    let pc = this.#pc;
    const fresh = !pc || frame.session !== this.#session;
    if (fresh) {
      pc = this.#createPc(await this.#servers(true));
      this.#session = frame.session;
      this.#answerer = newId();
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: frame.sdp });
    if (fresh) {
      const tracks = this.tracks();
      for (const transceiver of pc.getTransceivers()) {
        const kind = transceiver.receiver.track.kind;
        if (kind !== 'audio' && kind !== 'video') continue;
        transceiver.direction = 'sendrecv';
        await transceiver.sender.replaceTrack(tracks[kind] ?? null);
      }
    }
    this.#described = false;
    this.#gathered = 0;
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.#pc) return;
    this.#publish({ type: 'answer', session: this.#session, seq: frame.seq, answerer: this.#answerer, sdp: pc.localDescription.sdp });
  }

  // --- both

  async #onCandidate(frame) {
    const pc = this.#pc;
    if (!pc || frame.session !== this.#session || !frame.candidate || !pc.remoteDescription) return;
    try {
      await pc.addIceCandidate(frame.candidate);
    } catch {
      // a candidate of an earlier ICE generation: harmless
    }
  }

  /** Sends our description, then the candidates found meanwhile; arms the "could not connect" timer. */
  #publish(frame) {
    this.send(frame);
    this.#described = true;
    for (const held of this.#heldCandidates.splice(0)) {
      if (held.session === this.#session) this.send(held);
    }
    this.#armConnectTimer();
  }

  #armConnectTimer() {
    if (this.#connectTimer || this.#pc?.connectionState === 'connected') return;
    const pc = this.#pc;
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = 0;
      if (pc !== this.#pc || pc.connectionState === 'connected') return;
      this.#fail();
      this.#recover();
    }, CONNECT_TIMEOUT_MS);
  }

  #fail() {
    if (this.failed) return;
    this.failed = true;
    this.#emit('state');
  }

  #onConnectionState(pc) {
    if (pc !== this.#pc) return;
    const state = pc.connectionState;
    clearTimeout(this.#disconnectTimer);
    if (state === 'connected') {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = 0;
      this.failed = false;
      this.#restarts = 0;
    } else if (state === 'disconnected' || state === 'failed') {
      this.#armConnectTimer();
      // 'disconnected' often heals by itself within seconds; 'failed' does not.
      if (state === 'failed') this.#recover(this.#restarts === 0);
      else this.#disconnectTimer = setTimeout(() => this.#recover(true), DISCONNECTED_GRACE_MS);
    }
    this.#emit('state');
  }
}
