// Small shared pieces of the panel's screens. Text from the API is always passed as a child (escaped by
// Preact), never as markup.
import { html, useEffect, useRef, useState, useCallback } from "./html.js";
import { errorText, fieldErrors } from "./api.js";
import { t } from "../i18n.js";
import { fmtNumber } from "./format.js";

/** Load something when `deps` change: { data, error, loading, reload }. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    Promise.resolve()
      .then(fn)
      .then(
        (data) => mine === seq.current && setState({ data, error: null, loading: false }),
        (error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
      );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

export function Page({ title, actions, children }) {
  useEffect(() => {
    document.title = `${title} · Loa`;
  }, [title]);
  return html`<section class="page">
    <header class="page-head">
      <h1 tabindex="-1" id="page-title">${title}</h1>
      ${actions ? html`<div class="page-actions">${actions}</div>` : null}
    </header>
    ${children}
  </section>`;
}

export function ErrorBox({ error, id }) {
  if (!error) return null;
  // A refusal with its own list (quiet-hours violations, in both languages) is listed by the screen instead.
  const fields = Array.isArray(error?.problem?.violations) ? [] : fieldErrors(error);
  return html`<div class="alert alert-error" role="alert" id=${id}>
    <p>${errorText(error)}</p>
    ${fields.length > 0 ? html`<ul>${fields.map((f) => html`<li><code>${f.path}</code> ${f.message}</li>`)}</ul>` : null}
  </div>`;
}

export function Notice({ kind = "info", children }) {
  return html`<div class=${`alert alert-${kind}`} role=${kind === "error" ? "alert" : "status"}>${children}</div>`;
}

export function Loading({ label }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span> ${label ?? t("common.loading")}</p>`;
}

export function Field({ id, label, hint, children }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
  </div>`;
}

export function StateBadge({ state }) {
  return html`<span class=${`badge badge-${state}`}>${t(`deviceState.${state}`)}</span>`;
}

export function PlayBadge({ status }) {
  return html`<span class=${`badge play-${status}`}>${t(`playStatus.${status}`)}</span>`;
}

export function Progress({ value, label }) {
  const pct = Math.round((value ?? 0) * 100);
  return html`<div class="progress" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
    <div class="progress-bar" style=${{ width: `${pct}%` }}></div>
    <span class="progress-text">${pct}%</span>
  </div>`;
}

/** A small inline SVG line chart of recent numbers (null gaps skipped). */
export function Sparkline({ values, label, unit = "", width = 260, height = 56 }) {
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => typeof v === "number");
  const last = pts.length > 0 ? pts[pts.length - 1][1] : null;
  if (pts.length === 0) {
    return html`<figure class="spark"><figcaption>${label}: —</figcaption></figure>`;
  }
  const ys = pts.map(([, v]) => v);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  // A flat series draws as a line across the middle.
  const [min, max] = lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  const n = Math.max(values.length - 1, 1);
  const x = (i) => (i / n) * (width - 4) + 2;
  const y = (v) => height - 4 - ((v - min) / (max - min)) * (height - 8);
  const d = pts.map(([i, v], k) => `${k === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const text = `${label}: ${fmtNum(last)}${unit}`;
  return html`<figure class="spark">
    <figcaption>${label}: <strong>${fmtNum(last)}${unit}</strong> ${lo !== hi ? html`<span class="muted">(${fmtNum(lo)}–${fmtNum(hi)})</span>` : null}</figcaption>
    <svg viewBox=${`0 0 ${width} ${height}`} width="100%" height=${height} role="img" aria-label=${text} preserveAspectRatio="none">
      <path d=${d} fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
    </svg>
  </figure>`;
}

function fmtNum(v) {
  return fmtNumber(v, typeof v === "number" && Math.abs(v) < 100 && !Number.isInteger(v) ? 1 : 0);
}

export function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
    } catch {
      // Clipboard API needs a secure context; select the text so the person can copy by hand.
      const pre = document.getElementById("copy-source");
      if (pre) window.getSelection()?.selectAllChildren(pre);
      setDone(false);
    }
  };
  return html`<button type="button" class="btn" onClick=${copy}>${done ? t("common.copied") : label ?? t("common.copy")}</button>`;
}

/** A modal confirmation built on <dialog> (focus is trapped and Esc closes it). */
export function Confirm({ open, title, body, confirmLabel, danger, onConfirm, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`<dialog ref=${ref} class="dialog" aria-labelledby="confirm-title" onCancel=${(e) => {
    e.preventDefault();
    onCancel();
  }}>
    <h2 id="confirm-title">${title}</h2>
    <div>${body}</div>
    <div class="row end">
      <button type="button" class="btn" onClick=${onCancel}>${t("common.cancel")}</button>
      <button type="button" class=${danger ? "btn btn-danger" : "btn btn-primary"} onClick=${onConfirm}>${confirmLabel}</button>
    </div>
  </dialog>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}
