// Fuzzy matching for finders (client.md §6.1, §6.3, §6.4): the query's
// letters must appear in order, case-insensitively; consecutive letters,
// letters at word starts and a match at the very start score higher.

import { h } from "../lib/dom.js";

const wordChar = /[\p{L}\p{N}]/u;

function scoreFrom(text, low, q, start) {
  const positions = [];
  let score = 0;
  let prev = -2;
  let j = 0;
  for (let i = start; i < low.length && j < q.length; i++) {
    if (low[i] !== q[j]) continue;
    score += 1;
    if (i === prev + 1) score += 5;
    if (i === 0) score += 10;
    else if (!wordChar.test(text[i - 1])) score += 8;
    positions.push(i);
    prev = i;
    j++;
  }
  return j === q.length ? { score, positions } : null;
}

/**
 * fuzzy matches query against text: {score, positions} (UTF-16 indexes of
 * the matched letters) for the best-scoring alignment, or null.
 */
export function fuzzy(query, text) {
  const q = [...String(query).toLowerCase()].join("");
  const t = String(text);
  if (!q) return { score: 0, positions: [] };
  // Lower-casing letter by letter keeps the indexes of the original text.
  const low = Array.from(t, (ch) => {
    const l = ch.toLowerCase();
    return l.length === ch.length ? l : ch;
  }).join("");
  let best = null;
  for (let i = low.indexOf(q[0]); i >= 0; i = low.indexOf(q[0], i + 1)) {
    const m = scoreFrom(t, low, q, i);
    if (!m) break;
    if (!best || m.score > best.score) best = m;
  }
  return best;
}

/**
 * rank keeps the items whose key matches query, best first (ties keep
 * their order); an empty query keeps them all.
 */
export function rank(items, query, key) {
  if (!query) return items.map((item) => ({ item, positions: [] }));
  const out = [];
  items.forEach((item, i) => {
    const m = fuzzy(query, key(item));
    if (m) out.push({ item, positions: m.positions, score: m.score, i });
  });
  out.sort((a, b) => b.score - a.score || a.i - b.i);
  return out;
}

/**
 * markRanges draws text with the [start, end) ranges (UTF-16 indexes,
 * sorted, not overlapping) in <mark>, as text nodes: never parsed.
 */
export function markRanges(text, ranges) {
  const out = [];
  let at = 0;
  for (const [start, end] of ranges) {
    const s = Math.max(at, start);
    if (end <= s) continue;
    if (s > at) out.push(text.slice(at, s));
    out.push(h("mark", null, text.slice(s, end)));
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** markPositions draws text with the letters at positions in <mark>. */
export function markPositions(text, positions) {
  const ranges = [];
  for (const p of positions) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === p) last[1] = p + 1;
    else ranges.push([p, p + 1]);
  }
  return markRanges(text, ranges);
}
