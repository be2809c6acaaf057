// Đăng nhập: username + password → session cookie (ARCHITECTURE §7 auth).
import { html, useState } from "../lib/html.js";
import { ApiError, post } from "../lib/api.js";
import { ErrorBox, Field } from "../lib/components.js";
import { t } from "../i18n.js";

export function LoginScreen({ onLogin }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await post("/api/v1/auth/login", { username: username.trim(), password });
      await onLogin(me);
    } catch (err) {
      // The API's words for these are English only; people logging in need them in their language.
      const known = err instanceof ApiError && { 401: "login.wrong", 429: "login.limited" }[err.status];
      setError(known ? new Error(t(known)) : err);
      setBusy(false);
    }
  };
  return html`<main class="login" id="main">
    <div class="login-brand"><img src="/icon.svg" alt="" width="48" height="48" /><div><strong>Loa</strong><span>${t("app.tagline")}</span></div></div>
    <form class="card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">${t("login.title")}</h1>
      <${ErrorBox} error=${error} />
      <${Field} id="login-username" label=${t("login.username")}>
        <input id="login-username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required
          value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} />
      <//>
      <${Field} id="login-password" label=${t("login.password")}>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
      <//>
      <button class="btn btn-primary btn-block" type="submit" disabled=${busy}>${busy ? t("login.busy") : t("login.submit")}</button>
    </form>
  </main>`;
}
