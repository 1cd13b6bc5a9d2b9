// Entry point: one shell serves every page; the path picks the page.
// Pages load on demand, so the auth pages never download the chat.

import { applyTheme, applyFontSize } from "./lib/prefs.js";

const routes = [
  [/^\/$/, async (root) => (await import("./app/app.js")).start(root)],
  [/^\/login$/, async (root) => (await import("./pages/login.js")).render(root)],
  [/^\/signup$/, async (root) => (await import("./pages/signup.js")).render(root)],
  [/^\/forgot-password$/, async (root) => (await import("./pages/forgot.js")).render(root)],
  [/^\/reset-password\/([^/]+)$/, async (root, m) => (await import("./pages/reset.js")).render(root, decodePart(m[1]))],
  [/^\/about$/, async (root) => (await import("./pages/about.js")).render(root)],
];

// decodePart undoes percent-encoding; a malformed one stays as it is and
// the server then calls the link unknown.
function decodePart(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function route() {
  applyTheme();
  applyFontSize();
  const root = document.getElementById("root");
  // The server marks a shell served as an error page with its status.
  const status = Number(document.documentElement.dataset.status || 200);
  if (status !== 200) {
    (await import("./pages/error.js")).render(root, status);
    return;
  }
  const path = window.location.pathname;
  for (const [re, page] of routes) {
    const m = re.exec(path);
    if (m) {
      await page(root, m);
      return;
    }
  }
  (await import("./pages/error.js")).render(root, 404);
}

route().catch(async (err) => {
  // A page that failed to start still shows something useful.
  console.error(err);
  (await import("./pages/error.js")).render(document.getElementById("root"), 500);
});
