// Names, colours and initials (client.md §4.3).

import { h } from "./dom.js";

/**
 * hashHue is the original's string hash: for each code point c,
 * h = c + (int32(h) << 5) - h, in float arithmetic; hue = |h| mod 360.
 */
export function hashHue(name) {
  let hash = 0;
  for (const ch of String(name)) {
    hash = ch.codePointAt(0) + (hash << 5) - hash;
  }
  return Math.abs(hash) % 360;
}

/** nameColor is a user's chosen colour, else the hash colour of the name. */
export function nameColor(user) {
  if (user && typeof user.name_color === "string" && /^#[0-9a-fA-F]{6}$/.test(user.name_color)) {
    return user.name_color;
  }
  const name = typeof user === "string" ? user : (user && user.username) || "";
  return `hsl(${hashHue(name)}, 65%, 55%)`;
}

/** rgbOf parses "#rrggbb" or "hsl(h, s%, l%)" into [r, g, b] (0–255). */
export function rgbOf(color) {
  let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (m) return m.slice(1).map((x) => Number.parseInt(x, 16));
  m = /^hsl\(\s*([\d.]+),\s*([\d.]+)%,\s*([\d.]+)%\)$/.exec(color);
  if (!m) return [136, 136, 136];
  const [hue, sat, light] = [Number(m[1]), Number(m[2]) / 100, Number(m[3]) / 100];
  const a = sat * Math.min(light, 1 - light);
  const f = (n) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function luminance([r, g, b]) {
  const ch = (v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
}

/** contrast is the WCAG contrast ratio of two colours. */
export function contrast(a, b) {
  const [x, y] = [luminance(rgbOf(a)), luminance(rgbOf(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const hex = (rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;

/**
 * readableOn keeps a name colour's hue but moves it toward white or black
 * until it reads at 4.5:1 on bg (WCAG AA), so every name is legible in
 * both themes.
 */
export function readableOn(color, bg) {
  if (contrast(color, bg) >= 4.5) return color;
  const rgb = rgbOf(color);
  const target = luminance(rgbOf(bg)) > 0.5 ? 0 : 255;
  for (let t = 0.05; t <= 1; t += 0.05) {
    const c = hex(rgb.map((v) => Math.round(v + (target - v) * t)));
    if (contrast(c, bg) >= 4.5) return c;
  }
  return target ? "#ffffff" : "#000000";
}

/** themeColor reads a colour custom property of the current theme. */
export function themeColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#1e1e1e";
}

/**
 * paintName colours an element with a user's name colour, made legible on
 * the given theme background; it is repainted when the theme changes.
 */
export function paintName(el, user, bgVar = "--bg") {
  el.dataset.nameColor = nameColor(user);
  el.dataset.nameBg = bgVar;
  el.style.setProperty("color", readableOn(el.dataset.nameColor, themeColor(bgVar)));
  return el;
}

document.addEventListener("minimost:theme", () => {
  for (const el of document.querySelectorAll("[data-name-color]")) {
    el.style.setProperty("color", readableOn(el.dataset.nameColor, themeColor(el.dataset.nameBg || "--bg")));
  }
});

/** initials are the first two characters of the name, upper-cased. */
export function initials(name) {
  return [...String(name)].slice(0, 2).join("").toUpperCase();
}

/**
 * avatar draws a user's picture, or initials on their colour when there is
 * none or it fails to load; presence adds the dot.
 */
export function avatar(user, size, { presence = false } = {}) {
  const bg = nameColor(user);
  // White initials where they read well (the original's look), else dark.
  const light = contrast("#ffffff", bg) >= contrast("#1e1e1e", bg);
  const el = h("span", {
    class: light ? "avatar" : "avatar dark-text",
    "aria-hidden": "true",
    style: {
      width: `${size}px`,
      height: `${size}px`,
      "font-size": `${Math.round(size * 0.38)}px`,
      background: bg,
    },
  });
  const showInitials = () => el.replaceChildren(initials(user.username));
  if (user.has_avatar && typeof user.avatar_url === "string" && user.avatar_url.startsWith("/api/v1/")) {
    const img = h("img", { src: user.avatar_url, alt: "", width: size, height: size });
    img.addEventListener("error", () => {
      showInitials();
      if (presence) el.append(presenceDot(user.presence));
    });
    el.append(img);
  } else {
    showInitials();
  }
  if (presence) el.append(presenceDot(user.presence));
  return el;
}

/** presenceDot: active blue, idle amber, anything else grey (§4.3). */
export function presenceDot(state) {
  const known = state === "active" || state === "idle" ? state : "offline";
  return h("span", { class: "presence-dot", "data-state": known });
}
