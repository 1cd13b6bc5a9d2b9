// Password fields and the live checklist (client.md §2.1, §2.3): the rules
// come from GET /api/v1/password-policy; the server stays the judge.

import { get } from "./api.js";
import { h, id } from "./dom.js";

/** The server's defaults, used only if the policy cannot be fetched. */
export const DEFAULT_POLICY = Object.freeze({
  min_length: 15,
  max_length: 1024,
  require_upper: true,
  require_lower: true,
  require_digit: true,
  require_special: true,
  special_chars: "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~",
});

/** loadPolicy fetches the policy, falling back to the defaults. */
export async function loadPolicy() {
  try {
    const p = await get("/api/v1/password-policy", { public: true });
    if (p && Number.isInteger(p.min_length)) return { ...DEFAULT_POLICY, ...p };
  } catch {
    // The server still checks every password; the defaults draw the list.
  }
  return DEFAULT_POLICY;
}

const codePoints = (s) => [...s].length;

/**
 * rules lists the checklist lines of a policy, in the server's order, each
 * with the text of the error that names it.
 */
export function rules(policy) {
  const has = (re) => (pw) => re.test(pw);
  const out = [
    {
      id: "length",
      label: `${policy.min_length}+ characters`,
      error: `Password must be at least ${policy.min_length} characters`,
      test: (pw) => codePoints(pw) >= policy.min_length && codePoints(pw) <= policy.max_length,
    },
  ];
  if (policy.require_upper) {
    out.push({ id: "upper", label: "One uppercase letter", error: "Password must contain at least one uppercase letter", test: has(/[A-Z]/) });
  }
  if (policy.require_lower) {
    out.push({ id: "lower", label: "One lowercase letter", error: "Password must contain at least one lowercase letter", test: has(/[a-z]/) });
  }
  if (policy.require_digit) {
    out.push({ id: "digit", label: "One number", error: "Password must contain at least one number", test: has(/[0-9]/) });
  }
  if (policy.require_special) {
    const set = policy.special_chars || DEFAULT_POLICY.special_chars;
    out.push({
      id: "special",
      label: "One special character",
      error: "Password must contain at least one special character",
      test: (pw) => [...pw].some((c) => set.includes(c)),
    });
  }
  return out;
}

/** firstFailure names the first rule pw breaks (for weak_password errors). */
export function firstFailure(policy, pw) {
  const pwLen = codePoints(pw);
  if (pwLen > policy.max_length) return `Password must be at most ${policy.max_length} characters`;
  const r = rules(policy).find((rule) => !rule.test(pw));
  return r ? r.error : null;
}

/**
 * checklist draws the live list: hidden until the field has content, then
 * one line per rule marked • (not started), ✓ (met) or ✗ (unmet).
 * update(pw) redraws it and returns whether every rule passes.
 */
export function checklist(policy) {
  const list = rules(policy);
  const el = h("ul", { class: "rules", id: id("pw-rules"), "aria-live": "polite", hidden: true });
  const lines = list.map((r) => {
    const mark = h("span", { class: "mark", "aria-hidden": "true" }, "•");
    const state = h("span", { class: "visually-hidden" }, "");
    const li = h("li", { class: "rule", "data-rule": r.id }, mark, h("span", null, r.label), state);
    el.append(li);
    return { r, li, mark, state };
  });
  function update(pw) {
    el.hidden = pw.length === 0;
    let all = true;
    for (const { r, li, mark, state } of lines) {
      const ok = pw.length > 0 && r.test(pw);
      all = all && ok;
      const status = pw.length === 0 ? "" : ok ? "ok" : "bad";
      li.className = status ? `rule ${status}` : "rule";
      mark.textContent = status === "ok" ? "✓" : status === "bad" ? "✗" : "•";
      state.textContent = status === "ok" ? " (met)" : status === "bad" ? " (not met)" : "";
    }
    return all;
  }
  return { el, update };
}

/**
 * matchLine shows "✓ Passwords match" / "✗ Passwords do not match" once the
 * confirmation has content. update returns whether they match.
 */
export function matchLine() {
  const el = h("p", { class: "line", id: id("pw-match"), "aria-live": "polite", hidden: true });
  function update(pw, confirm) {
    const ok = confirm.length > 0 && pw === confirm;
    el.hidden = confirm.length === 0;
    el.className = ok ? "line ok" : "line bad";
    el.textContent = confirm.length === 0 ? "" : ok ? "✓ Passwords match" : "✗ Passwords do not match";
    return ok;
  }
  return { el, update };
}

/**
 * passwordField builds a labelled password input with its Show/Hide toggle
 * and Caps Lock warning (client.md §2.1). Returns {field, input}.
 */
export function passwordField({ label, name, autocomplete, describedBy = [] }) {
  const inputId = id(name);
  const capsId = id(`${name}-caps`);
  const input = h("input", {
    type: "password",
    id: inputId,
    name,
    autocomplete,
    required: true,
    spellcheck: "false",
    autocapitalize: "none",
    "aria-describedby": [...describedBy, capsId].join(" "),
  });
  const toggle = h(
    "button",
    { type: "button", class: "pw-toggle", "aria-pressed": "false", "aria-label": "Show password", "aria-controls": inputId },
    "Show",
  );
  // A mouse press must not take focus out of the field.
  toggle.addEventListener("mousedown", (e) => e.preventDefault());
  toggle.addEventListener("click", () => {
    const show = input.type === "password";
    const start = input.selectionStart;
    const end = input.selectionEnd;
    input.type = show ? "text" : "password";
    toggle.textContent = show ? "Hide" : "Show";
    toggle.setAttribute("aria-pressed", String(show));
    toggle.setAttribute("aria-label", show ? "Hide password" : "Show password");
    if (document.activeElement !== toggle) {
      input.focus();
      if (start != null) input.setSelectionRange(start, end);
    }
  });
  const caps = h("p", { class: "caps-warning", id: capsId, role: "alert", hidden: true }, "⚠ Caps Lock is on");
  const capsCheck = (e) => {
    caps.hidden = !(e.getModifierState && e.getModifierState("CapsLock"));
  };
  input.addEventListener("keydown", capsCheck);
  input.addEventListener("keyup", capsCheck);
  input.addEventListener("blur", () => {
    caps.hidden = true;
  });
  const field = h(
    "div",
    { class: "field" },
    h("label", { for: inputId }, label),
    h("div", { class: "pw-wrap" }, input, toggle),
    caps,
  );
  return { field, input, toggle, caps };
}
