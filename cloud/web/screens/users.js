// Quản trị — người dùng: users and roles (ARCHITECTURE §2 User; docs/api.md roles and scope).
import { html, useState } from "../lib/html.js";
import { del, get, patch, post } from "../lib/api.js";
import { Confirm, ErrorBox, Field, Loading, Page, useAsync } from "../lib/components.js";
import { areaPath, flatTree } from "../lib/areas.js";
import { t } from "../i18n.js";
import { fmtDateTime } from "../lib/format.js";

const ROLES = ["staff", "operator", "admin"];

export function UsersScreen({ me }) {
  const list = useAsync(() => get("/api/v1/users"), []);
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(null);
  const [resetting, setResetting] = useState(null);
  const change = async (u, body) => {
    setError(null);
    try {
      await patch(`/api/v1/users/${encodeURIComponent(u.id)}`, body);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    const u = removing;
    setRemoving(null);
    try {
      await del(`/api/v1/users/${encodeURIComponent(u.id)}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.items ?? [];
  return html`<${Page} title=${t("users.heading")} actions=${html`<a class="btn" href="#/admin">${t("admin.heading")}</a>`}>
    <${UserForm} onDone=${list.reload} />
    <${ErrorBox} error=${error ?? list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : null}
    <div class="table-wrap"><table class="table responsive users-table">
      <thead><tr><th scope="col">${t("users.username")}</th><th scope="col">${t("users.role")}</th><th scope="col">${t("devices.area")}</th><th scope="col">${t("users.created")}</th><th scope="col">${t("users.actions")}</th></tr></thead>
      <tbody>${items.map((u) => {
        const self = u.id === me.user.id;
        return html`<tr key=${u.id} data-user=${u.username} class=${u.disabled ? "disabled" : ""}>
          <th scope="row" data-label=${t("users.username")}>${u.username}${u.displayName ? html`<br /><span class="muted">${u.displayName}</span>` : null}
            ${u.disabled ? html` <span class="badge badge-offline">${t("users.disabled")}</span>` : null}</th>
          <td data-label=${t("users.role")}>
            <select aria-label=${t("users.roleOf", { name: u.username })} value=${u.role} disabled=${self} onChange=${(e) => change(u, { role: e.currentTarget.value })}>
              ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
            </select>
          </td>
          <td data-label=${t("devices.area")}>${areaPath(u.areaId, 3)}</td>
          <td data-label=${t("users.created")}>${fmtDateTime(u.createdAt)}</td>
          <td data-label=${t("users.actions")}><div class="row wrap">
            <button type="button" class="btn btn-small" onClick=${() => setResetting(u)}>${t("users.resetPassword")}</button>
            ${self ? null : html`<button type="button" class="btn btn-small" onClick=${() => change(u, { disabled: !u.disabled })}>${u.disabled ? t("users.enable") : t("users.disable")}</button>
              <button type="button" class="btn btn-small btn-ghost danger" onClick=${() => setRemoving(u)}>${t("common.delete")}</button>`}
          </div></td>
        </tr>`;
      })}</tbody>
    </table></div>
    ${resetting ? html`<${PasswordForm} user=${resetting} onDone=${() => setResetting(null)} />` : null}
    <${Confirm} open=${removing !== null} title=${t("users.deleteTitle")} body=${removing ? t("users.deleteBody", { name: removing.username }) : ""}
      confirmLabel=${t("common.delete")} danger onConfirm=${remove} onCancel=${() => setRemoving(null)} />
  <//>`;
}

function PasswordForm({ user, onDone }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      await patch(`/api/v1/users/${encodeURIComponent(user.id)}`, { password });
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${submit}>
    <h2>${t("users.resetFor", { name: user.username })}</h2>
    <${Field} id="pw-new" label=${t("users.newPassword")} hint=${t("users.passwordHint")}>
      <input id="pw-new" type="password" autocomplete="new-password" minlength="8" required value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
    <//>
    <${ErrorBox} error=${error} />
    <div class="row"><button class="btn btn-primary" type="submit">${t("common.save")}</button><button class="btn btn-ghost" type="button" onClick=${onDone}>${t("common.cancel")}</button></div>
  </form>`;
}

function UserForm({ onDone }) {
  const tree = flatTree();
  const empty = { username: "", displayName: "", password: "", role: "staff", areaId: tree[0]?.area.id ?? "" };
  const [f, setF] = useState(empty);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const set = (p) => setF((x) => ({ ...x, ...p }));
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      await post("/api/v1/users", { username: f.username.trim().toLowerCase(), password: f.password, role: f.role, areaId: f.areaId, ...(f.displayName.trim() ? { displayName: f.displayName.trim() } : {}) });
      setF(empty);
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  if (!open) return html`<button type="button" class="btn btn-primary" onClick=${() => setOpen(true)}>${t("users.add")}</button>`;
  return html`<form class="card grid-form" onSubmit=${submit}>
    <h2>${t("users.add")}</h2>
    <${Field} id="nu-username" label=${t("users.username")} hint=${t("users.usernameHint")}>
      <input id="nu-username" required autocapitalize="none" spellcheck="false" value=${f.username} onInput=${(e) => set({ username: e.currentTarget.value })} />
    <//>
    <${Field} id="nu-display" label=${t("users.displayName")}><input id="nu-display" value=${f.displayName} onInput=${(e) => set({ displayName: e.currentTarget.value })} /><//>
    <${Field} id="nu-password" label=${t("login.password")} hint=${t("users.passwordHint")}>
      <input id="nu-password" type="password" autocomplete="new-password" required minlength="8" value=${f.password} onInput=${(e) => set({ password: e.currentTarget.value })} />
    <//>
    <${Field} id="nu-role" label=${t("users.role")}>
      <select id="nu-role" value=${f.role} onChange=${(e) => set({ role: e.currentTarget.value })}>${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)} — ${t(`role.${r}Hint`)}</option>`)}</select>
    <//>
    <${Field} id="nu-area" label=${t("devices.area")}>
      <select id="nu-area" value=${f.areaId} onChange=${(e) => set({ areaId: e.currentTarget.value })}>
        ${tree.map(({ area, depth }) => html`<option value=${area.id}>${"\u00a0\u00a0".repeat(depth)}${area.name}</option>`)}
      </select>
    <//>
    <${ErrorBox} error=${error} />
    <div class="row"><button class="btn btn-primary" type="submit">${t("users.create")}</button><button class="btn btn-ghost" type="button" onClick=${() => setOpen(false)}>${t("common.cancel")}</button></div>
  </form>`;
}
