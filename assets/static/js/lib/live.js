// The one live stream (api.md §4, client.md §13.3): GET /api/v1/ws for the
// whole app. Frames are dispatched as events of their type ("message.created",
// …) with the frame as detail; "open" fires after every hello with
// {reconnect, since} (since: the highest message seq applied before the
// drop, for the since_seq resync). A drop is retried after 3 s, backing off;
// the banner shows after 8 s without a stream, at once when offline. A
// stream that stays silent past two pings (not even a pong) is taken for
// dead and replaced, since a vanished network may never report a close.

import { sessionEnded } from "./api.js";
import { h } from "./dom.js";

const RETRY_MS = 3000;
const MAX_RETRY_MS = 30000;
const GRACE_MS = 8000;
const PING_MS = 25000;
const SILENT_MS = 2 * PING_MS + 10000;

export class Live extends EventTarget {
  constructor(banners) {
    super();
    this.banners = banners;
    this.ws = null;
    /** seq: the highest message seq applied (hello's, then each frame's). */
    this.seq = 0;
    this.connected = false;
    this.everConnected = false;
    this.failures = 0;
    this.retryTimer = 0;
    this.graceTimer = 0;
    this.pingTimer = 0;
    this.revoked = false;
    this.banner = h(
      "div",
      { class: "banner connection", role: "status", hidden: true },
      h("span", { class: "dot", "aria-hidden": "true" }),
      "Connection lost — reconnecting…",
    );
    banners.append(this.banner);
    window.addEventListener("online", () => {
      if (!this.connected) this.connect();
    });
    window.addEventListener("offline", () => this.showBanner(true));
  }

  showBanner(on) {
    this.banner.hidden = !on;
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.revoked) return;
    if (this.ws && this.ws.readyState <= 1) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws`);
    this.ws = ws;
    const before = this.seq;
    let lastFrame = Date.now();
    ws.addEventListener("message", (e) => {
      // A stream given up for dead says nothing more.
      if (this.ws !== ws) return;
      lastFrame = Date.now();
      let f;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!f || typeof f.type !== "string") return;
      this.showBanner(false);
      clearTimeout(this.graceTimer);
      this.graceTimer = 0;
      if (f.type === "hello") {
        const reconnect = this.everConnected;
        this.connected = true;
        this.everConnected = true;
        this.failures = 0;
        const helloSeq = Number(f.data && f.data.seq) || 0;
        const since = reconnect ? before : helloSeq;
        if (!reconnect) this.seq = helloSeq;
        this.dispatchEvent(new CustomEvent("open", { detail: { reconnect, since, hello: f.data } }));
        return;
      }
      if (f.type === "session.revoked") {
        this.revoked = true;
        sessionEnded();
        return;
      }
      if (typeof f.seq === "number" && f.seq > this.seq) this.seq = f.seq;
      try {
        this.dispatchEvent(new CustomEvent(f.type, { detail: f }));
      } catch (err) {
        console.warn("live event", f.type, err);
      }
    });
    const dropped = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.connected = false;
      clearInterval(this.pingTimer);
      if (this.revoked) return;
      this.failures++;
      if (!this.graceTimer) this.graceTimer = setTimeout(() => this.showBanner(true), navigator.onLine === false ? 0 : GRACE_MS);
      const wait = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** Math.max(0, this.failures - 1));
      this.retryTimer = setTimeout(() => this.connect(), wait + Math.random() * 500);
    };
    ws.addEventListener("close", dropped);
    ws.addEventListener("open", () => {
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (Date.now() - lastFrame > SILENT_MS) {
          dropped();
          ws.close();
          return;
        }
        this.send("ping", {});
      }, PING_MS);
    });
  }

  /** noteSeq records a seq applied from a REST answer (a resync page). */
  noteSeq(seq) {
    if (typeof seq === "number" && seq > this.seq) this.seq = seq;
  }

  /** send writes a client frame; false when the stream is down. */
  send(type, data) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify({ type, data }));
    return true;
  }
}
