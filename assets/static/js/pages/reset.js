// Reset password from the administrator's link (client.md §2.5).

import { get, post, rateLimitText, networkText, ApiError } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { loadPolicy, checklist, matchLine, passwordField, firstFailure } from "../lib/password.js";
import { authPage, alertBox, registerServiceWorker } from "./chrome.js";

function invalid(card) {
  document.title = "Link invalid or expired – MiniMost";
  replace(
    card,
    h("h1", null, "Link invalid or expired"),
    h(
      "p",
      null,
      "This password reset link has already been used, has expired or does not exist. " +
        "Ask an administrator for a new one.",
    ),
    h("hr"),
    h("p", { class: "foot" }, h("a", { href: "/login" }, "Back to login")),
  );
  card.querySelector("h1").setAttribute("tabindex", "-1");
  card.querySelector("h1").focus();
}

function done(card, username) {
  document.title = "Password updated – MiniMost";
  replace(
    card,
    h("h1", { tabindex: "-1" }, "Password updated"),
    h("p", null, "The password for ", h("strong", null, username), " has been changed."),
    h("p", null, "You can now log in with your new password."),
    h("hr"),
    h("p", { class: "foot" }, h("a", { href: "/login" }, "Go to login")),
  );
  card.querySelector("h1").focus();
}

const gone = (err) => err instanceof ApiError && (err.status === 404 || err.status === 410);

export async function render(root, token) {
  const card = authPage(root, { title: "Reset Password" });
  card.append(h("p", { role: "status" }, "Checking your link…"));
  registerServiceWorker();
  const path = `/api/v1/password-reset/${encodeURIComponent(token)}`;
  let info;
  let policy;
  try {
    [info, policy] = await Promise.all([get(path, { public: true }), loadPolicy()]);
  } catch (err) {
    if (gone(err)) {
      invalid(card);
      return;
    }
    const box = alertBox();
    replace(card, h("h1", null, "Set new password"), box.el, h("p", { class: "foot" }, h("a", { href: "/login" }, "Back to login")));
    box.set(err instanceof ApiError && err.status === 429 ? rateLimitText(err) : err.code === "network" ? networkText : err.message);
    return;
  }

  const box = alertBox();
  const pw = passwordField({ label: "New password", name: "new_password", autocomplete: "new-password" });
  const confirm = passwordField({ label: "Confirm password", name: "confirm", autocomplete: "new-password" });
  const list = checklist(policy);
  const match = matchLine();
  pw.input.setAttribute("aria-describedby", `${list.el.id} ${pw.input.getAttribute("aria-describedby")}`);
  confirm.input.setAttribute("aria-describedby", `${match.el.id} ${confirm.input.getAttribute("aria-describedby")}`);
  const submit = h("button", { type: "submit", class: "btn primary block", disabled: true }, "Set password");
  // A hidden username field lets password managers file the new password.
  const form = h(
    "form",
    { novalidate: true, "aria-labelledby": "reset-title" },
    h("input", { type: "text", name: "username", autocomplete: "username", value: info.username, hidden: true, readonly: true }),
    pw.field,
    list.el,
    confirm.field,
    match.el,
    submit,
  );
  document.title = "Reset Password – MiniMost";
  replace(
    card,
    h("h1", { id: "reset-title" }, "Set new password"),
    h("p", null, "Resetting password for ", h("strong", null, info.username)),
    box.el,
    form,
    h("hr"),
    h("p", { class: "foot" }, h("a", { href: "/login" }, "Back to login")),
  );

  let busy = false;
  function validate() {
    const rulesOk = list.update(pw.input.value);
    const matchOk = match.update(pw.input.value, confirm.input.value);
    const ok = rulesOk && matchOk;
    submit.disabled = !ok || busy;
    return ok;
  }
  pw.input.addEventListener("input", validate);
  confirm.input.addEventListener("input", validate);
  pw.input.focus();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy || !validate()) return;
    busy = true;
    submit.disabled = true;
    try {
      await post(path, { new_password: pw.input.value }, { public: true });
      done(card, info.username);
      return;
    } catch (err) {
      if (gone(err)) {
        invalid(card);
        return;
      }
      if (err instanceof ApiError && err.code === "weak_password") {
        box.set(firstFailure(policy, pw.input.value) || err.message);
      } else if (err instanceof ApiError && err.code === "password_reused") {
        // The policy does not say how many passwords the server remembers.
        box.set("New password must not match any of your recent passwords.");
      } else if (err instanceof ApiError && err.status === 429) {
        box.set(rateLimitText(err));
      } else if (err instanceof ApiError && err.code === "network") {
        box.set(networkText);
      } else {
        box.set(err.message || "Something went wrong. Please try again.");
      }
      pw.input.focus();
    }
    busy = false;
    validate();
  });
}
