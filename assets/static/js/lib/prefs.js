// Per-browser preferences (client.md §7.3), kept in local storage under
// the original's key names. The theme key is also read by boot.js.

const defaults = {
  theme: "dark", // "dark" | "light" | "system"
  chatFontSize: 14,
  enterToSend: true,
  notifMuted: false,
  nativeNotifEnabled: true,
  notifyWhenActive: false,
};

export const FONT_MIN = 11;
export const FONT_MAX = 22;

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** get returns a preference, or its default when unset or unreadable. */
export function get(key) {
  const s = storage();
  const raw = s ? s.getItem(key) : null;
  const def = defaults[key];
  if (raw == null) return def;
  if (typeof def === "boolean") return raw === "true";
  if (typeof def === "number") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : def;
  }
  return raw;
}

/** set stores a preference; storage failures are ignored. */
export function set(key, value) {
  const s = storage();
  try {
    if (s) s.setItem(key, String(value));
  } catch {
    // Quota or privacy mode: the choice lasts for this page only.
  }
}

const lightQuery = window.matchMedia("(prefers-color-scheme: light)");

/** resolvedTheme turns a preference into the theme drawn. */
export function resolvedTheme(pref = get("theme")) {
  if (pref === "light") return "light";
  if (pref === "system") return lightQuery.matches ? "light" : "dark";
  return "dark";
}

/** applyTheme draws the theme of a preference (default: the stored one). */
export function applyTheme(pref = get("theme")) {
  const theme = resolvedTheme(pref);
  document.documentElement.setAttribute("data-theme", theme);
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta) meta.setAttribute("content", theme === "light" ? "#f4f5f7" : "#1e1e1e");
  // Colours computed against the theme (user names) repaint on this.
  document.dispatchEvent(new CustomEvent("minimost:theme", { detail: { theme } }));
}

// "System" follows the OS while the page is open.
lightQuery.addEventListener("change", () => {
  if (get("theme") === "system") applyTheme();
});

/** clampFont keeps a message font size within 11–22 px. */
export function clampFont(px) {
  const n = Number(px);
  if (!Number.isFinite(n)) return defaults.chatFontSize;
  return Math.min(FONT_MAX, Math.max(FONT_MIN, n));
}

/** applyFontSize sets the message font size (list, composer, typing line). */
export function applyFontSize(px = get("chatFontSize")) {
  document.documentElement.style.setProperty("--msg-font-size", `${clampFont(px)}px`);
}
