// Making a bulletin three ways (ARCHITECTURE §6 ingest, §7 staff): a file (drag and drop or picker, with
// upload progress), a microphone recording (MediaRecorder → webm), or text-to-speech.
import { html, useEffect, useRef, useState } from "../lib/html.js";
import { post, upload } from "../lib/api.js";
import { ErrorBox, Field, Progress } from "../lib/components.js";
import { t } from "../i18n.js";

const MODES = ["upload", "record", "tts"];

export function BulletinCreate({ onCreated }) {
  const [mode, setMode] = useState("upload");
  const [title, setTitle] = useState("");
  // WAI-ARIA tabs: arrows move between tabs and take the focus along.
  const tabKey = (e) => {
    const step = { ArrowRight: 1, ArrowLeft: MODES.length - 1 }[e.key];
    if (!step) return;
    const next = MODES[(MODES.indexOf(mode) + step) % MODES.length];
    setMode(next);
    requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
  };
  const done = (b) => {
    setTitle("");
    onCreated(b);
  };
  return html`<div class="card">
    <h2>${t("bulletins.new")}</h2>
    <div role="tablist" class="tabs" aria-label=${t("bulletins.how")} onKeyDown=${tabKey}>
      ${MODES.map((m) => html`<button type="button" role="tab" id=${`tab-${m}`} aria-selected=${mode === m} aria-controls=${`panel-${m}`}
        tabindex=${mode === m ? 0 : -1} onClick=${() => setMode(m)}>${t(`bulletins.mode.${m}`)}</button>`)}
    </div>
    <${Field} id="bulletin-title" label=${t("bulletins.title")} hint=${t("bulletins.titleHint")}>
      <input id="bulletin-title" maxlength="200" required value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
    <//>
    <div role="tabpanel" id=${`panel-${mode}`} aria-labelledby=${`tab-${mode}`}>
      ${mode === "upload" ? html`<${UploadForm} title=${title} onCreated=${done} />` : null}
      ${mode === "record" ? html`<${RecordForm} title=${title} onCreated=${done} />` : null}
      ${mode === "tts" ? html`<${TtsForm} title=${title} onCreated=${done} />` : null}
    </div>
  </div>`;
}

function useSender(onCreated) {
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const send = async (title, file, name) => {
    if (!title.trim()) {
      setError(new Error(t("bulletins.needTitle")));
      document.getElementById("bulletin-title")?.focus();
      return;
    }
    const form = new FormData();
    form.append("title", title.trim());
    form.append("file", file, name ?? file.name);
    setError(null);
    setProgress(0);
    try {
      const res = await upload("/api/v1/bulletins", form, setProgress);
      setProgress(null);
      onCreated(res.bulletin);
    } catch (err) {
      setProgress(null);
      setError(err);
    }
  };
  return { progress, error, send, setError };
}

function UploadForm({ title, onCreated }) {
  const [file, setFile] = useState(null);
  const [over, setOver] = useState(false);
  const { progress, error, send } = useSender((b) => {
    setFile(null);
    onCreated(b);
  });
  const drop = (e) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer?.files?.[0];
    if (f) setFile(f);
  };
  const busy = progress !== null;
  return html`<form onSubmit=${(e) => {
    e.preventDefault();
    if (file) send(title, file);
  }}>
    <div class=${`dropzone${over ? " over" : ""}`} onDragOver=${(e) => {
      e.preventDefault();
      setOver(true);
    }} onDragLeave=${() => setOver(false)} onDrop=${drop}>
      <p>${t("bulletins.drop")}</p>
      <label class="btn" for="bulletin-file">${t("bulletins.pick")}</label>
      <input id="bulletin-file" class="visually-hidden" type="file" accept="audio/*,video/webm,.amr,.m4a,.opus"
        onChange=${(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      ${file ? html`<p class="file-name">${file.name} · ${(file.size / 1048576).toFixed(1)} MB</p>` : null}
    </div>
    ${busy ? html`<${Progress} value=${progress} label=${t("bulletins.uploading")} />` : null}
    <${ErrorBox} error=${error} id="upload-error" />
    <button class="btn btn-primary" type="submit" disabled=${!file || busy}>${busy ? t("bulletins.uploading") : t("bulletins.upload")}</button>
  </form>`;
}

function pickMime() {
  for (const m of ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"]) {
    if (window.MediaRecorder?.isTypeSupported?.(m)) return m;
  }
  return "";
}

function RecordForm({ title, onCreated }) {
  const [rec, setRec] = useState(null);
  const [blob, setBlob] = useState(null);
  const [seconds, setSeconds] = useState(0);
  const [micError, setMicError] = useState(null);
  const url = useRef(null);
  const { progress, error, send } = useSender((b) => {
    setBlob(null);
    onCreated(b);
  });
  useEffect(() => () => {
    if (url.current) URL.revokeObjectURL(url.current);
    rec?.stream.getTracks().forEach((tr) => tr.stop());
  }, [rec]);
  useEffect(() => {
    if (!rec) return undefined;
    const started = Date.now();
    const id = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 250);
    return () => clearInterval(id);
  }, [rec]);
  const start = async () => {
    setMicError(null);
    if (!navigator.mediaDevices?.getUserMedia || !window.MediaRecorder) {
      setMicError(t("bulletins.micUnsupported"));
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const mime = pickMime();
      const mr = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
      const parts = [];
      mr.ondataavailable = (e) => e.data.size > 0 && parts.push(e.data);
      mr.onstop = () => {
        stream.getTracks().forEach((tr) => tr.stop());
        const b = new Blob(parts, { type: mr.mimeType || "audio/webm" });
        if (url.current) URL.revokeObjectURL(url.current);
        url.current = URL.createObjectURL(b);
        setBlob(b);
        setRec(null);
      };
      mr.start(250);
      setBlob(null);
      setSeconds(0);
      setRec({ mr, stream });
    } catch (err) {
      setMicError(t("bulletins.micDenied", { reason: err?.name ?? "" }));
    }
  };
  const stop = () => rec?.mr.stop();
  const busy = progress !== null;
  return html`<div class="stack">
    <div class="row">
      ${rec
        ? html`<button type="button" class="btn btn-danger" onClick=${stop}>■ ${t("bulletins.stopRec")}</button>
            <span class="rec" role="status">● ${t("bulletins.recording")} ${fmtClock(seconds)}</span>`
        : html`<button type="button" class="btn" onClick=${start} disabled=${busy}>● ${blob ? t("bulletins.reRecord") : t("bulletins.startRec")}</button>`}
    </div>
    ${micError ? html`<div class="alert alert-error" role="alert">${micError}</div>` : null}
    ${blob && !rec ? html`<audio controls src=${url.current} aria-label=${t("bulletins.preview")}></audio>` : null}
    ${busy ? html`<${Progress} value=${progress} label=${t("bulletins.uploading")} />` : null}
    <${ErrorBox} error=${error} />
    <button type="button" class="btn btn-primary" disabled=${!blob || busy || rec} onClick=${() => send(title, blob, "recording.webm")}>
      ${t("bulletins.saveRec")}
    </button>
  </div>`;
}

function fmtClock(s) {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function TtsForm({ title, onCreated }) {
  const [text, setText] = useState("");
  const [voice, setVoice] = useState("vi");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!title.trim()) {
      setError(new Error(t("bulletins.needTitle")));
      document.getElementById("bulletin-title")?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await post("/api/v1/bulletins/tts", { title: title.trim(), text, voice });
      setText("");
      onCreated(res.bulletin);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form onSubmit=${submit} class="stack">
    <${Field} id="tts-text" label=${t("bulletins.ttsText")} hint=${t("bulletins.ttsHint", { n: text.length })}>
      <textarea id="tts-text" rows="6" lang="vi" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
    <//>
    <${Field} id="tts-voice" label=${t("bulletins.voice")}>
      <select id="tts-voice" value=${voice} onChange=${(e) => setVoice(e.currentTarget.value)}>
        <option value="vi">${t("bulletins.voiceVi")}</option>
        <option value="vi+f3">${t("bulletins.voiceViF")}</option>
        <option value="en-us">${t("bulletins.voiceEn")}</option>
      </select>
    <//>
    <${ErrorBox} error=${error} id="tts-error" />
    <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? t("bulletins.ttsBusy") : t("bulletins.ttsMake")}</button>
  </form>`;
}
