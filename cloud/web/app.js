// The panel's shell (ARCHITECTURE §7): session, navigation by permission, language switch, live stream,
// and the hash router choosing a screen.
import { html, render, useEffect } from "./lib/html.js";
import { get, post, setUnauthorizedHandler } from "./lib/api.js";
import { createStore, useStore } from "./lib/store.js";
import { routeStore, navigate } from "./lib/router.js";
import { openStream, closeStream, streamState } from "./lib/stream.js";
import { loadDevices, resetLive, wireLiveDevices } from "./lib/live.js";
import { loadAreas } from "./lib/areas.js";
import { Loading } from "./lib/components.js";
import { t, lang, setLang, onLangChange } from "./i18n.js";
import { LoginScreen } from "./screens/login.js";
import { HomeScreen } from "./screens/home.js";
import { BulletinsScreen } from "./screens/bulletins.js";
import { BroadcastsScreen } from "./screens/broadcasts.js";
import { BroadcastNewScreen } from "./screens/broadcast-new.js";
import { BroadcastScreen } from "./screens/broadcast.js";
import { CalendarScreen } from "./screens/calendar.js";
import { DevicesScreen } from "./screens/devices.js";
import { DeviceScreen } from "./screens/device.js";
import { DeviceNewScreen } from "./screens/device-new.js";
import { ReportsScreen } from "./screens/reports.js";
import { AdminScreen } from "./screens/admin.js";
import { UsersScreen } from "./screens/users.js";

/** { status: "loading" | "out" | "in", me } */
export const session = createStore({ status: "loading", me: null });

export function can(permission) {
  return session.get().me?.permissions?.includes(permission) ?? false;
}

const NAV = [
  { route: "home", path: "/", label: "nav.home", perm: null },
  { route: "bulletins", path: "/bulletins", label: "nav.bulletins", perm: "bulletins.read" },
  { route: "broadcasts", path: "/broadcasts", label: "nav.broadcasts", perm: "broadcasts.read", also: ["broadcastNew", "broadcast", "calendar"] },
  { route: "devices", path: "/devices", label: "nav.devices", perm: "devices.read", also: ["device", "deviceNew"] },
  { route: "reports", path: "/reports", label: "nav.reports", perm: "plays.read" },
  { route: "admin", path: "/admin", label: "nav.admin", perm: "areas.write", also: ["users"] },
];

const SCREENS = {
  home: HomeScreen,
  bulletins: BulletinsScreen,
  broadcasts: BroadcastsScreen,
  broadcastNew: BroadcastNewScreen,
  broadcast: BroadcastScreen,
  calendar: CalendarScreen,
  devices: DevicesScreen,
  device: DeviceScreen,
  deviceNew: DeviceNewScreen,
  reports: ReportsScreen,
  admin: AdminScreen,
  users: UsersScreen,
};

export async function signedIn(me) {
  session.set({ status: "in", me });
  await loadAreas().catch(() => undefined);
  wireLiveDevices();
  openStream();
  if (me.permissions.includes("devices.read")) await loadDevices();
}

async function boot() {
  setUnauthorizedHandler(() => {
    if (session.get().status !== "in") return;
    closeStream();
    resetLive();
    session.set({ status: "out", me: null });
    navigate("/login");
  });
  try {
    // The session is known (signed in or not): the panel has started, boot.js's watchdog stands down. What
    // loads after (areas, the receivers' live list) fills in the screen already shown.
    const me = await get("/api/v1/me").finally(() => window.loaReady?.());
    await signedIn(me);
    if (routeStore.get().name === "login") navigate("/");
  } catch {
    session.set({ status: "out", me: null });
  }
}

async function logout() {
  await post("/api/v1/auth/logout").catch(() => undefined);
  closeStream();
  resetLive();
  session.set({ status: "out", me: null });
  navigate("/login");
}

function LangSwitch() {
  const other = lang() === "vi" ? "en" : "vi";
  return html`<button type="button" class="btn btn-ghost lang" lang=${other} onClick=${() => setLang(other)} aria-label=${t("lang.switchTo")}>
    ${t("lang.other")}
  </button>`;
}

function StreamDot() {
  const s = useStore(streamState);
  return html`<span class=${`dot dot-${s}`} role="img" aria-label=${t(`stream.${s}`)} title=${t(`stream.${s}`)}></span>`;
}

function Header({ route, me }) {
  const items = NAV.filter((n) => n.perm === null || me.permissions.includes(n.perm));
  return html`<header class="top">
    <div class="top-row">
      <a class="brand" href="#/"><img src="/icon.svg" alt="" width="28" height="28" /> <span>Loa</span></a>
      <${StreamDot} />
      <span class="who" title=${me.user.username}>${me.user.displayName || me.user.username} · ${t(`role.${me.user.role}`)}</span>
      <${LangSwitch} />
      <button type="button" class="btn btn-ghost" onClick=${logout}>${t("nav.logout")}</button>
    </div>
    <nav aria-label=${t("nav.main")}>
      <ul>
        ${items.map((n) => {
          const current = n.route === route.name || n.also?.includes(route.name);
          return html`<li><a href=${`#${n.path}`} aria-current=${current ? "page" : undefined}>${t(n.label)}</a></li>`;
        })}
      </ul>
    </nav>
  </header>`;
}

function App() {
  const s = useStore(session);
  const route = useStore(routeStore);
  useEffect(() => onLangChange(() => session.set((x) => ({ ...x }))), []);
  useEffect(() => {
    // Move focus to the new screen's heading so screen readers announce it; on a phone the tab strip
    // scrolls sideways, so bring the current tab into view.
    document.getElementById("page-title")?.focus({ preventScroll: true });
    document.querySelector('.top nav [aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "center" });
  }, [route.path]);
  if (s.status === "loading") return html`<main class="main"><${Loading} /></main>`;
  if (s.status === "out" || route.name === "login") {
    return html`<div class="login-wrap"><div class="login-lang"><${LangSwitch} /></div><${LoginScreen} onLogin=${onLogin} /></div>`;
  }
  const Screen = SCREENS[route.name];
  return html`<a class="skip" href="#main" onClick=${(e) => {
      e.preventDefault();
      document.getElementById("main")?.focus();
    }}>${t("nav.skip")}</a>
    <${Header} route=${route} me=${s.me} />
    <main class="main" id="main" tabindex="-1">
      ${Screen ? html`<${Screen} key=${route.path} params=${route.params} query=${route.query} me=${s.me} can=${can} />` : html`<p>${t("common.notFound")}</p>`}
    </main>`;
}

async function onLogin(me) {
  await signedIn(me);
  navigate("/");
}

const root = document.getElementById("app");
// The static "loading" text is not Preact's: clear it so render does not append beside it.
root.textContent = "";
render(html`<${App} />`, root);
document.documentElement.lang = lang();
boot().catch(() => session.set({ status: "out", me: null }));
