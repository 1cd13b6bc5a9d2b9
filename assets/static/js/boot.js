// The one classic (non-module) script: it runs before the first paint so
// a light theme never flashes dark. Modules are deferred, so the theme
// cannot wait for them. Keep it tiny; lib/prefs.js owns the same key.
(function () {
  "use strict";
  var pref = "dark";
  try {
    pref = window.localStorage.getItem("theme") || "dark";
  } catch (e) {
    // Storage disabled: keep the default.
  }
  var light = pref === "light" ||
    (pref === "system" && window.matchMedia("(prefers-color-scheme: light)").matches);
  document.documentElement.setAttribute("data-theme", light ? "light" : "dark");
})();
