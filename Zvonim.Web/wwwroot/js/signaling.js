// The call's WebSocket: JSON frames in and out, reconnecting with backoff until the server says it is over.
//
// Events: 'open' {detail: {reconnected}}, 'message' {detail: frame}, 'close' {detail: {code, reason, final}}.

/** Close codes after which reconnecting is pointless: the call ended or we left (1000), superseded by a newer
 *  socket (4001), unknown peer (4403), no such call (4404), full (4409), ended (4410). */
const FINAL_CODES = new Set([1000, 4001, 4403, 4404, 4409, 4410]);

export class Signaling extends EventTarget {
  #url;
  #ws = null;
  #attempt = 0;
  #opened = false;
  #stopped = false;
  #retryTimer = 0;
  #heartbeatTimer = 0;
  #lastHeard = 0;
  #options;

  /**
   * @param {string | (() => string)} url  a function is asked again at each reconnect
   * @param {object} [o]
   * @param {object|null} [o.hello]  sent on open and as the heartbeat; null for a dialect that answers nothing to it
   * @param {number} [o.heartbeat]   ms between hellos (0: none, and no silence check)
   * @param {() => string[]} [o.protocols]  subprotocols asked at each (re)connect (e.g. an access token)
   */
  constructor(url, { minDelay = 500, maxDelay = 10_000, heartbeat = 15_000, silence = 25_000, hello = { type: 'join' }, protocols } = {}) {
    super();
    this.#url = url;
    this.#options = { minDelay, maxDelay, heartbeat: hello ? heartbeat : 0, silence, hello, protocols };
    this.onOnline = () => this.#retryNow();
  }

  get isOpen() {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  start() {
    addEventListener('online', this.onOnline);
    this.#connect();
  }

  /** Sends a frame if the socket is open; frames are never queued (the call renegotiates after a reconnect). */
  send(frame) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.#stopped = true;
    removeEventListener('online', this.onOnline);
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeatTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'bye');
  }

  /** Drops the socket as a network failure would (for testing the reconnect path). */
  drop() {
    const ws = this.#ws;
    if (!ws) return;
    ws.onclose = null;
    ws.close(4000, 'dropped');
    this.#lost(4000, 'dropped');
  }

  #connect() {
    if (this.#stopped) return;
    const url = typeof this.#url === 'function' ? this.#url() : this.#url;
    const ws = this.#options.protocols ? new WebSocket(url, this.#options.protocols()) : new WebSocket(url);
    this.#ws = ws;
    ws.onopen = () => {
      if (ws !== this.#ws) return;
      const reconnected = this.#opened;
      this.#opened = true;
      this.#attempt = 0;
      this.#lastHeard = Date.now();
      if (this.#options.hello) this.send(this.#options.hello);
      if (this.#options.heartbeat > 0) this.#heartbeatTimer = setInterval(() => this.#heartbeat(ws), this.#options.heartbeat);
      this.dispatchEvent(new CustomEvent('open', { detail: { reconnected } }));
    };
    ws.onmessage = (event) => {
      if (ws !== this.#ws) return;
      this.#lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === 'string') this.dispatchEvent(new CustomEvent('message', { detail: frame }));
    };
    ws.onclose = (event) => {
      if (ws !== this.#ws) return;
      this.#lost(event.code, event.reason);
    };
  }

  /** A 'join' frame is answered with the call's state: silence for too long means the socket is dead. */
  #heartbeat(ws) {
    if (ws !== this.#ws) return;
    if (Date.now() - this.#lastHeard > this.#options.silence) {
      this.drop();
      return;
    }
    this.send(this.#options.hello);
  }

  #lost(code, reason) {
    clearInterval(this.#heartbeatTimer);
    this.#ws = null;
    const final = this.#stopped || FINAL_CODES.has(code);
    this.dispatchEvent(new CustomEvent('close', { detail: { code, reason, final } }));
    if (final) {
      this.stop();
      return;
    }
    const { minDelay, maxDelay } = this.#options;
    const delay = Math.min(maxDelay, minDelay * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5);
    this.#attempt += 1;
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #retryNow() {
    if (this.#stopped || this.#ws) return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  }
}
