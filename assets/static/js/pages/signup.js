// Sign up (client.md §2.3): the button stays disabled until the username
// and every password rule pass and the confirmation matches.

import { post, setCsrf, rateLimitText, networkText, ApiError } from "../lib/api.js";
import { h, id } from "../lib/dom.js";
import { loadPolicy, checklist, matchLine, passwordField, firstFailure } from "../lib/password.js";
import { authPage, alertBox, registerServiceWorker } from "./chrome.js";

export const USERNAME_RE = /^[A-Za-z0-9_-]{1,32}$/;
export const USERNAME_RULE = "✗ Letters, numbers, hyphens and underscores only (no spaces)";

function signupError(err, name, policy, password) {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (err.code) {
    case "bad_request":
      return "Missing fields";
    case "reserved_username":
      return `"${name}" is a protected username`;
    case "invalid_username":
      return USERNAME_RULE.slice(2);
    case "weak_password":
      return firstFailure(policy, password) || err.message;
    case "username_taken":
      return "User already exists";
    case "rate_limited":
      return rateLimitText(err);
    case "network":
      return networkText;
    default:
      return err.message || "Something went wrong. Please try again.";
  }
}

export async function render(root) {
  const card = authPage(root, { title: "Sign Up" });
  const box = alertBox();
  const userId = id("username");
  const ruleId = id("username-rule");
  const hintId = id("signup-hint");
  const username = h("input", {
    type: "text",
    id: userId,
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
    maxlength: "32",
    "aria-describedby": `${ruleId} ${hintId}`,
  });
  const userRule = h("p", { class: "line bad", id: ruleId, "aria-live": "polite", hidden: true }, USERNAME_RULE);

  // The fields draw at once; the checklist fills in when the policy arrives.
  const checklistSlot = h("div");
  const pw = passwordField({ label: "Password", name: "password", autocomplete: "new-password" });
  const confirm = passwordField({ label: "Confirm password", name: "confirm", autocomplete: "new-password" });
  const match = matchLine();
  confirm.input.setAttribute("aria-describedby", `${match.el.id} ${confirm.input.getAttribute("aria-describedby")}`);
  const submit = h("button", { type: "submit", class: "btn primary block", disabled: true }, "Sign up");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "signup-title" },
    h("div", { class: "field" }, h("label", { for: userId }, "Username"), username),
    userRule,
    pw.field,
    checklistSlot,
    confirm.field,
    match.el,
    h(
      "p",
      { class: "hint", id: hintId },
      "Use your real name as your username: that is how others see and search for you. " +
        "Letters, numbers, hyphens and underscores only.",
    ),
    submit,
  );
  card.append(
    h("h1", { id: "signup-title" }, "Create account"),
    box.el,
    form,
    h("hr"),
    h("p", { class: "foot" }, "Already have an account? ", h("a", { href: "/login" }, "Log in")),
  );
  username.focus();
  registerServiceWorker();

  let busy = false;
  const policy = await loadPolicy();
  const list = checklist(policy);
  checklistSlot.replaceWith(list.el);
  pw.input.setAttribute("aria-describedby", `${list.el.id} ${pw.input.getAttribute("aria-describedby")}`);

  function validate() {
    const name = username.value;
    const nameOk = USERNAME_RE.test(name);
    userRule.hidden = name.length === 0 || nameOk;
    username.setAttribute("aria-invalid", String(name.length > 0 && !nameOk));
    const pwOk = list.update(pw.input.value);
    const matchOk = match.update(pw.input.value, confirm.input.value);
    const ok = nameOk && pwOk && matchOk;
    submit.disabled = !ok || busy;
    return ok;
  }
  for (const input of [username, pw.input, confirm.input]) input.addEventListener("input", validate);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy || !validate()) {
      if (!busy && pw.input.value && confirm.input.value && pw.input.value !== confirm.input.value) {
        box.set("Passwords do not match");
      }
      return;
    }
    busy = true;
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    const name = username.value;
    try {
      const answer = await post("/api/v1/signup", { username: name, password: pw.input.value }, { public: true });
      setCsrf(answer && answer.csrf_token);
      window.location.assign("/");
      return;
    } catch (err) {
      box.set(signupError(err, name, policy, pw.input.value));
      box.el.focus?.();
    }
    busy = false;
    form.removeAttribute("aria-busy");
    validate();
  });
  validate();
}
