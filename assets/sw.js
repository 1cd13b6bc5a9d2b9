// MiniMost's service worker (client.md §12). It caches the static assets
// of this build (their URLs carry the build version, so a cached copy is
// never stale), serves the page shell network-first with the last good
// copy as the offline fallback, and never touches API responses. It also
// brings MiniMost forward when an OS notification is clicked.
"use strict";

// The daemon replaces this line with the build's version and asset list.
const BUILD = { version: "dev", assets: [] };

const ASSETS = `minimost-assets-${BUILD.version}`;
const SHELL = "minimost-shell";
const SHELL_KEY = "/__shell";
// Pages whose shell may be kept; a reset link's token is never stored.
const SHELL_PAGES = new Set(["/", "/login", "/signup", "/forgot-password", "/about"]);

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(
    caches
      .open(ASSETS)
      .then((cache) => cache.addAll(BUILD.assets))
      .catch(() => {
        // Precaching is an optimisation: assets are also cached on first use.
      }),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("minimost-assets-") && key !== ASSETS) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

async function cacheFirst(request) {
  const cache = await caches.open(ASSETS);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic" && !response.redirected) {
      const cache = await caches.open(SHELL);
      await cache.put(SHELL_KEY, response.clone());
    }
    return response;
  } catch (err) {
    const cached = await caches.match(SHELL_KEY);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The API and the event stream always go to the network, uncached.
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith(`/assets/${BUILD.version}/`)) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (request.mode === "navigate" && SHELL_PAGES.has(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && "focus" in client) return client.focus();
      }
      return self.clients.openWindow("/");
    })(),
  );
});
