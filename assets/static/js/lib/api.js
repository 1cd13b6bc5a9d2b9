// The one way the client talks to /api/v1 (api.md): JSON in and out, the
// CSRF header on every state change, errors as ApiError, and the session
// rule of client.md §2.9: any 401 "unauthenticated" goes to the login page.

import { plural } from "./dom.js";

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || (status ? `HTTP ${status}` : "network error"));
    this.name = "ApiError";
    /** HTTP status; 0 when the server could not be reached. */
    this.status = status;
    /** api.md error code, "network" when unreachable, "http" for a body-less error. */
    this.code = (body && body.error) || (status ? "http" : "network");
    this.field = (body && body.field) || null;
    /** Retry-After in seconds, or null. */
    this.retryAfter = retryAfter;
    /** handled: the client already acted on it (went to the login page). */
    this.handled = false;
  }
}

let csrfToken = "";

/** setCsrf keeps the token from GET /session, login or signup. */
export function setCsrf(token) {
  csrfToken = token || "";
}

let leaving = false;
let signingOut = false;

/**
 * sessionEnded leaves for the login page at once, once. The live stream
 * calls it on session.revoked too.
 */
export function sessionEnded() {
  if (leaving || signingOut) return;
  leaving = true;
  window.location.assign("/login?expired=1");
}

/**
 * holdSessionEnd is set while the user signs out: the stream's
 * session.revoked for our own logout can arrive before the logout's answer,
 * and must not turn "signed out" into "your session has ended".
 */
export function holdSessionEnd(on) {
  signingOut = on;
}

function retryAfterOf(res) {
  const v = res.headers.get("Retry-After");
  if (v == null) return null;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

const stateChanging = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * request sends one API call and resolves to the decoded JSON (null for
 * an empty answer such as 204). body may be an object (sent as JSON) or
 * FormData (multipart). Rejects with ApiError.
 */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (stateChanging.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
      signal: opts.signal,
    });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, null, null);
  }
  const text = await res.text().catch(() => "");
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data, retryAfterOf(res));
    if (res.status === 401 && err.code === "unauthenticated" && !opts.public) {
      err.handled = true;
      sessionEnded();
    }
    throw err;
  }
  return data;
}

export const get = (path, opts) => request("GET", path, undefined, opts);
export const post = (path, body, opts) => request("POST", path, body, opts);
export const put = (path, body, opts) => request("PUT", path, body, opts);
export const patch = (path, body, opts) => request("PATCH", path, body, opts);
export const del = (path, body, opts) => request("DELETE", path, body, opts);

/** rateLimitText is the 429 message of client.md §2.2. */
export function rateLimitText(err) {
  const n = Math.max(1, err.retryAfter ?? 1);
  return `You're doing that too quickly. Please wait ${plural(n, "second")} and try again.`;
}

/** networkText is shown when the server cannot be reached. */
export const networkText = "Couldn't reach the server. Check your connection and try again.";

/** errorText is a generic rendering of an ApiError for forms and toasts. */
export function errorText(err, fallback = "Something went wrong. Please try again.") {
  if (!(err instanceof ApiError)) return fallback;
  if (err.code === "network") return networkText;
  if (err.status === 429) return rateLimitText(err);
  return err.message || fallback;
}
