// Trang chủ: the state of the network at a glance — receivers online / faulty / offline, what plays now,
// the next broadcasts, and the failures of the last 24 hours.
import { html } from "../lib/html.js";
import { get, query } from "../lib/api.js";
import { Empty, ErrorBox, Loading, Page, PlayBadge, StateBadge, useAsync } from "../lib/components.js";
import { useStore } from "../lib/store.js";
import { devicesStore } from "../lib/live.js";
import { areaPath } from "../lib/areas.js";
import { upcoming } from "../lib/schedule.js";
import { bulletinIndex, targetsText } from "../lib/targets.js";
import { t } from "../i18n.js";
import { fmtAgo, fmtDateTime } from "../lib/format.js";

async function failures() {
  const from = new Date(Date.now() - 24 * 3600_000).toISOString();
  const lists = await Promise.all(["failed", "missed"].map((status) => get(`/api/v1/plays${query({ status, from })}`)));
  return lists.flatMap((l) => l.items).sort((a, b) => b.at.localeCompare(a.at));
}

export function HomeScreen({ can, me }) {
  const store = useStore(devicesStore);
  const canPlays = can("plays.read");
  const broadcasts = useAsync(() => (can("broadcasts.read") ? get("/api/v1/broadcasts") : null), []);
  const bulletins = useAsync(() => (can("bulletins.read") ? get("/api/v1/bulletins") : null), []);
  const failed = useAsync(() => (canPlays ? failures() : []), []);
  const titles = bulletinIndex(bulletins.data);
  const devices = [...store.byId.values()];
  const counts = { online: 0, fault: 0, offline: 0 };
  for (const d of devices) counts[d.state]++;
  const playing = devices.filter((d) => d.health.online && d.health.telemetry?.playing);
  const next = upcoming(broadcasts.data?.items ?? [], 5);
  const actions = can("broadcasts.write")
    ? html`<a class="btn btn-primary btn-big" href="#/bulletins">${t("home.quick")}</a>`
    : null;
  return html`<${Page} title=${t("home.heading", { name: me.user.displayName || me.user.username })} actions=${actions}>
    ${can("devices.read") ? html`<section aria-labelledby="home-devices">
      <h2 id="home-devices" class="visually-hidden">${t("nav.devices")}</h2>
      <ul class="tiles">
        ${["online", "fault", "offline"].map((s) => html`<li><a class=${`tile tile-${s}`} href=${`#/devices?state=${s}`} data-tile=${s}>
          <strong>${store.loaded ? counts[s] : "…"}</strong><span>${t(`home.tile.${s}`)}</span></a></li>`)}
      </ul>
    </section>` : null}
    <div class="grid2">
      <section class="card" aria-labelledby="home-now">
        <h2 id="home-now">${t("home.now")}</h2>
        ${playing.length === 0 ? html`<${Empty}>${t("home.nothingPlaying")}<//>` : html`<ul class="plain">
          ${playing.slice(0, 10).map((d) => html`<li><a href=${`#/devices/${encodeURIComponent(d.id)}`}>${d.name}</a>
            <span class="muted"> · ${areaPath(d.areaId)} · ${t("device.playingSince", { since: fmtAgo(d.health.telemetry.playing.startedAt) })}</span></li>`)}
        </ul>`}
      </section>
      <section class="card" aria-labelledby="home-next">
        <h2 id="home-next">${t("home.next")}</h2>
        <${ErrorBox} error=${broadcasts.error} />
        ${broadcasts.loading && !broadcasts.data ? html`<${Loading} />` : null}
        ${broadcasts.data && next.length === 0 ? html`<${Empty}>${t("home.noneNext")}<//>` : null}
        <ul class="plain">${next.map(({ b, at }) => html`<li>
          <a href=${`#/broadcasts/${encodeURIComponent(b.id)}`}><time datetime=${new Date(at).toISOString()}>${fmtDateTime(at)}</time> · ${titles.get(b.bulletinId)?.title ?? b.bulletinId}</a>
          <span class="muted"> · ${targetsText(b.targets)}</span> ${b.priority !== "normal" ? html`<span class=${`badge prio-${b.priority}`}>${t(`priority.${b.priority}`)}</span>` : null}
        </li>`)}</ul>
      </section>
    </div>
    ${canPlays ? html`<section class="card" aria-labelledby="home-failed">
      <h2 id="home-failed">${t("home.failed")}</h2>
      <${ErrorBox} error=${failed.error} />
      ${failed.data && failed.data.length === 0 ? html`<${Empty}>${t("home.noFailures")}<//>` : null}
      <ul class="plain">${(failed.data ?? []).slice(0, 20).map((p) => html`<li>
        <${PlayBadge} status=${p.status} /> ${fmtDateTime(p.at)} · ${store.byId.get(p.deviceId)?.name ?? p.deviceId}
        ${p.reason ? html`<span class="muted"> · ${p.reason}</span>` : null}
      </li>`)}</ul>
    </section>` : null}
    ${store.loaded && counts.fault > 0 ? html`<section class="card" aria-labelledby="home-faults">
      <h2 id="home-faults">${t("home.faulty")}</h2>
      <ul class="plain">${devices.filter((d) => d.state === "fault").slice(0, 20).map((d) => html`<li>
        <${StateBadge} state="fault" /> <a href=${`#/devices/${encodeURIComponent(d.id)}`}>${d.name}</a> <span class="muted">· ${areaPath(d.areaId)}</span>
      </li>`)}</ul>
    </section>` : null}
  <//>`;
}
