// Login (client.md §2.2).

import { post, setCsrf, rateLimitText, networkText, ApiError } from "../lib/api.js";
import { h, id, plural } from "../lib/dom.js";
import { passwordField } from "../lib/password.js";
import { authPage, alertBox, registerServiceWorker } from "./chrome.js";

export function loginError(err) {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (err.code) {
    case "invalid_credentials":
      return "Invalid credentials";
    case "locked": {
      const minutes = Math.max(1, Math.ceil((err.retryAfter ?? 60) / 60));
      return `Account locked due to too many failed login attempts. Try again in ${plural(minutes, "minute")}.`;
    }
    case "rate_limited":
      return rateLimitText(err);
    case "password_expired":
      return "Your password has expired. Ask an administrator to reset it (minimostctl reset-password).";
    case "network":
      return networkText;
    default:
      return err.message || "Something went wrong. Please try again.";
  }
}

export function render(root) {
  const card = authPage(root, { title: "Login" });
  const params = new URLSearchParams(window.location.search);
  const box = alertBox();
  if (params.has("logged_out")) {
    box.set("You have been logged out. Your session was securely terminated.", "success");
  } else if (params.has("expired")) {
    box.set("Your session has ended. Please log in again.", "info");
  }
  if (params.has("logged_out") || params.has("expired")) {
    // The notice is for this visit only, not for a reload.
    window.history.replaceState(null, "", "/login");
  }

  const userId = id("username");
  const username = h("input", {
    type: "text",
    id: userId,
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
    maxlength: "32",
  });
  const pw = passwordField({ label: "Password", name: "password", autocomplete: "current-password" });
  const submit = h("button", { type: "submit", class: "btn primary block" }, "Log in");
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "login-title" },
    h("div", { class: "field" }, h("label", { for: userId }, "Username"), username),
    pw.field,
    submit,
  );
  card.append(
    h("h1", { id: "login-title" }, "Log in"),
    box.el,
    form,
    h("hr"),
    h("p", { class: "foot" }, "Don't have an account? ", h("a", { href: "/signup" }, "Sign up")),
    h(
      "div",
      { class: "links" },
      h("a", { href: "/forgot-password" }, "Forgot your password?"),
      h("a", { href: "/about" }, "What is MiniMost?"),
    ),
  );

  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    if (!username.value.trim() || !pw.input.value) {
      box.set("Please enter your username and password.");
      (username.value.trim() ? pw.input : username).focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const answer = await post("/api/v1/login", { username: username.value.trim(), password: pw.input.value }, { public: true });
      setCsrf(answer && answer.csrf_token);
      window.location.assign("/");
      return;
    } catch (err) {
      box.set(loginError(err));
      pw.input.value = "";
      pw.input.focus();
    }
    busy = false;
    submit.disabled = false;
    form.removeAttribute("aria-busy");
  });

  username.focus();
  registerServiceWorker();
}
