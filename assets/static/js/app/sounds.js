// The app's sounds (client.md §8.2, §8.4), synthesised with the Web Audio
// API rather than shipped as recordings. Each cue is a short list of
// struck notes: a sine at the note's pitch plus a quieter partial four
// times higher that dies away faster, which gives the wooden, marimba-like
// attack. Loudness differences are part of each cue's design; nothing
// outside this file changes volume. The "Notification sounds" setting
// mutes every cue, the call cues included (the original let three of them
// through).

import * as prefs from "../lib/prefs.js";

// A note: [start s, frequency Hz, peak gain, decay s].
const cues = {
  // New message: a falling major third, E6 then C6 (1.1 s in all).
  ding: { length: 1.1, notes: [[0, 1318.5, 0.22, 0.5], [0.16, 1046.5, 0.26, 0.9]] },
  // Incoming call: a bright arpeggio, loudest of all, repeated.
  ring: { length: 4.2, notes: [[0, 659.3, 0.32, 0.5], [0.14, 830.6, 0.32, 0.5], [0.28, 987.8, 0.34, 0.7], [1.2, 659.3, 0.32, 0.5], [1.34, 830.6, 0.32, 0.5], [1.48, 987.8, 0.34, 0.9]] },
  // Your outgoing call rings: soft and low, repeated.
  ringback: { length: 4.0, notes: [[0, 440, 0.1, 0.9], [0.45, 440, 0.1, 0.9]] },
  // Someone answered: a rising fifth.
  accepted: { length: 1.2, notes: [[0, 523.3, 0.2, 0.5], [0.18, 784, 0.22, 0.9]] },
  // You left or the call ended: a falling fifth.
  hangUp: { length: 1.2, notes: [[0, 784, 0.2, 0.5], [0.18, 523.3, 0.22, 0.9]] },
  // Another participant left: one quiet blip.
  leftCall: { length: 0.75, notes: [[0, 880, 0.08, 0.6]] },
};

let context = null;

/** audio returns the page's one AudioContext, created on first use. */
function audio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  if (!context) {
    try {
      context = new AC();
    } catch {
      return null;
    }
  }
  // A context made before any user gesture starts suspended (autoplay rules).
  if (context.state === "suspended" && typeof context.resume === "function") context.resume().catch(() => {});
  return context;
}

function strike(ac, out, at, freq, peak, decay) {
  for (const [mult, share, fade] of [[1, 1, 1], [4, 0.28, 0.35]]) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(freq * mult, at);
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(peak * share, at + 0.006);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + decay * fade);
    osc.connect(gain);
    gain.connect(out);
    osc.start(at);
    osc.stop(at + decay * fade + 0.05);
  }
}

function schedule(ac, cue, at) {
  const out = ac.createGain();
  out.gain.setValueAtTime(1, at);
  out.connect(ac.destination);
  for (const [start, freq, peak, decay] of cue.notes) strike(ac, out, at + start, freq, peak, decay);
  return out;
}

/**
 * play sounds a cue once ("ding", "accepted", "hangUp", "leftCall"), or
 * with loop set, over and over until the returned stop function is
 * called ("ring", "ringback"). Muted or without Web Audio it does nothing
 * and stop is a no-op.
 */
export function play(name, { loop = false } = {}) {
  const cue = cues[name];
  const ac = cue && !prefs.get("notifMuted") ? audio() : null;
  if (!ac) return () => {};
  // The last two rounds: a round's tail may still sound as the next starts.
  const rounds = [schedule(ac, cue, ac.currentTime + 0.02)];
  if (!loop) return () => rounds[0].disconnect();
  // Each repeat is scheduled on the audio clock, so the loop has no seams.
  let next = ac.currentTime + 0.02 + cue.length;
  const timer = setInterval(() => {
    if (next - ac.currentTime < 0.5) {
      rounds.push(schedule(ac, cue, next));
      if (rounds.length > 2) rounds.shift();
      next += cue.length;
    }
  }, 200);
  return () => {
    clearInterval(timer);
    for (const r of rounds) r.disconnect();
  };
}
