/**
 * Reading the bulletin upload form (ARCHITECTURE §7 `POST /api/v1/bulletins`, multipart: `title`, `file`,
 * optional `codec`, `areaId`). The file part streams straight to a spool file on disk through the media
 * pipeline's byte limit, so an oversized upload fails with 413 the moment it crosses the limit and nothing
 * is held in memory. Text fields may come before or after the file; they are checked once the form ends,
 * before any ffmpeg runs. Every form error carries an English `detail` and a Vietnamese `detailVi`.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Request } from "express";
import { BULLETIN_UPLOAD_FIELDS, BulletinUploadFields, type ProblemFieldError } from "@loa/shared";
import { ByteLimit } from "../../media/spool.js";
import { ProblemError } from "../api-router.js";
import { problem } from "../problem.js";

/** Room for the form's framing and text fields on top of the file's own limit. */
export const FORM_OVERHEAD_BYTES = 64 * 1024;

const TEXT_FIELDS: readonly string[] = BULLETIN_UPLOAD_FIELDS.filter((f) => f !== "file");
const FIELD_LIST = "title, codec, areaId, file";

/** A form problem: `wrong_field` (422) unless another code is given. */
export function formError(en: string, vi: string, opts: { code?: string; errors?: ProblemFieldError[] } = {}): ProblemError {
  return new ProblemError(problem(opts.code ?? "wrong_field", en, { detailVi: vi, ...(opts.errors ? { errors: opts.errors } : {}) }));
}

export function requireMultipart(req: Request): void {
  if (req.is("multipart/form-data")) return;
  throw formError(
    `send the upload as multipart/form-data with the fields title and file (the audio), not ${req.headers["content-type"] ?? "no body type"}`,
    "Hãy gửi biểu mẫu multipart/form-data gồm trường title (tiêu đề) và file (tệp âm thanh).",
  );
}

export interface ReceivedUpload {
  /** Raw text fields as sent. */
  fields: Record<string, string>;
  /** The spooled file (inside the caller's job dir). */
  path: string;
  bytes: number;
  filename: string | undefined;
  mimeType: string;
}

const missingFile = () => formError(
  'no audio file: send it as a file part named "file"',
  'Chưa có tệp âm thanh: hãy chọn tệp ở trường "file".',
);
const twoFiles = () => formError("send exactly one audio file per upload", "Mỗi lần chỉ tải lên một tệp âm thanh.");
const wrongFileField = (name: string) => formError(
  `the audio file must be sent in the field "file", not "${name}"`,
  `Tệp âm thanh phải được gửi ở trường "file", không phải "${name}".`,
);
const unknownField = (name: string) => formError(
  `unknown field "${name}": the form takes ${FIELD_LIST}`,
  `Trường "${name}" không hợp lệ: biểu mẫu chỉ gồm ${FIELD_LIST}.`,
);

/** Why a text part is refused, or undefined when it is fine. */
function fieldProblem(name: string, seen: Record<string, string>, truncated: boolean): ProblemError | undefined {
  if (name === "file") {
    return formError(
      'the field "file" must carry the audio file itself (a file part with a filename), not text',
      'Trường "file" phải chứa chính tệp âm thanh, không phải văn bản.',
    );
  }
  if (!TEXT_FIELDS.includes(name)) return unknownField(name);
  if (name in seen) return formError(`the field "${name}" is sent twice`, `Trường "${name}" bị gửi hai lần.`);
  if (truncated) return formError(`the field "${name}" is too long`, `Trường "${name}" quá dài.`);
  return undefined;
}

interface FilePart {
  stream: Readable;
  spool: Promise<number>;
  filename: string | undefined;
  mimeType: string;
}

/** One form being read: collects fields, spools the file, and settles once with the outcome. */
class FormReader {
  private readonly fields: Record<string, string> = {};
  private file: FilePart | undefined;
  private failure: unknown;

  constructor(
    private readonly req: Request,
    private readonly form: busboy.Busboy,
    private readonly dest: string,
    private readonly maxBytes: number,
    private readonly settle: { resolve: (u: ReceivedUpload) => void; reject: (err: unknown) => void },
  ) {
    form.on("field", (name, value, info) => this.onField(name, value, info.valueTruncated || info.nameTruncated));
    form.on("file", (name, stream, info) => this.onFile(name, stream, info));
    form.on("fieldsLimit", () => this.fail(formError("too many fields", "Biểu mẫu có quá nhiều trường.")));
    form.on("partsLimit", () => this.fail(formError("too many parts", "Biểu mẫu có quá nhiều phần.")));
    form.on("error", (err) => this.fail(unreadable(err)));
    form.on("close", () => this.onClose());
    req.on("close", () => {
      if (!req.complete) this.fail(unreadable(new Error("the client closed the connection mid-upload")));
    });
  }

  private onField(name: string, value: string, truncated: boolean): void {
    if (this.failure !== undefined) return;
    const p = fieldProblem(name, this.fields, truncated);
    if (p) this.fail(p);
    else this.fields[name] = value;
  }

  private onFile(name: string, stream: Readable, info: busboy.FileInfo): void {
    // Destroying the form on failure destroys its current part with an error; that is expected here.
    stream.on("error", () => undefined);
    const p = name !== "file" ? wrongFileField(name) : this.file ? twoFiles() : undefined;
    if (p || this.failure !== undefined) {
      stream.resume();
      if (p) this.fail(p);
      return;
    }
    const spool = spoolTo(stream, this.dest, this.maxBytes);
    this.file = { stream, spool, filename: info.filename, mimeType: info.mimeType };
    spool.catch((err: unknown) => this.fail(err));
  }

  private onClose(): void {
    if (this.failure !== undefined) return;
    const f = this.file;
    if (!f) return this.fail(missingFile());
    f.spool.then(
      (bytes) => this.settle.resolve({ fields: this.fields, path: this.dest, bytes, filename: f.filename, mimeType: f.mimeType }),
      (err: unknown) => this.fail(err),
    );
  }

  fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.req.unpipe(this.form);
    // With an error: a part destroyed plainly after its last byte but before 'end' leaves pipeline()
    // waiting forever (node 20); an errored one always settles it.
    this.file?.stream.destroy(new Error("upload refused"));
    this.form.destroy();
    // Reject only once the spool has settled: its file is then closed, so the job dir can go.
    void (this.file?.spool ?? Promise.resolve()).catch(() => undefined).then(() => this.settle.reject(err));
  }
}

/**
 * Reads the whole form. Resolves once the body has ended and the file is on disk; rejects with the first
 * problem, after stopping the upload and waiting for the spool file to be closed.
 */
export function receiveUpload(req: Request, dir: string, maxBytes: number): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, defParamCharset: "utf8", limits: { fieldSize: 4096, fields: 8, parts: 16 } });
    } catch (err) {
      reject(unreadable(err));
      return;
    }
    new FormReader(req, form, join(dir, "upload"), maxBytes, { resolve, reject });
    req.pipe(form);
  });
}

/**
 * Streams a part to `dest` through the pipeline's byte limit (`too_big` the moment it is crossed). Every
 * stream is attached synchronously, so a part destroyed right after (a later form error) still settles
 * this promise; the caller removes the job dir with whatever was written.
 */
function spoolTo(stream: Readable, dest: string, maxBytes: number): Promise<number> {
  const limit = new ByteLimit(maxBytes);
  return pipeline(stream, limit, createWriteStream(dest, { flags: "wx" })).then(() => limit.bytes);
}

function unreadable(err: unknown): ProblemError {
  const why = err instanceof Error ? err.message : String(err);
  return formError(
    `the upload could not be read (${why}); send it again as multipart/form-data`,
    "Không đọc được dữ liệu tải lên (có thể bị ngắt giữa chừng), hãy gửi lại.",
    { code: "bad_multipart" },
  );
}

const VI_BY_FIELD: Record<string, string> = {
  title: "Tiêu đề bản tin phải có từ 1 đến 200 ký tự.",
  codec: 'Định dạng lưu (codec) phải là "opus" hoặc "mp3".',
  areaId: "Mã khu vực (areaId) không hợp lệ.",
};

/** The text fields, checked: every problem at once, with the Vietnamese of the first. */
export function checkUploadFields(fields: Record<string, string>): BulletinUploadFields {
  const parsed = BulletinUploadFields.safeParse(fields);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ path: `$.${i.path.map(String).join(".")}`, message: i.message }));
  const first = String(parsed.error.issues[0]?.path[0] ?? "title");
  return failFields(errors, VI_BY_FIELD[first] ?? `Trường "${first}" không hợp lệ.`);
}

function failFields(errors: ProblemFieldError[], vi: string): never {
  throw formError(`invalid form: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, vi, { errors });
}

/** After refusing an upload mid-body: read and drop at most this much more before cutting the connection. */
export const LINGER_BYTES = 4 * 1024 * 1024;
export const LINGER_MS = 10_000;

/**
 * Drops the rest of a refused body for a short while, then closes the connection. Closing at once would
 * make the client's next write fail with a reset, and most clients would then report that instead of our
 * 413/415/422 reply; reading on without bound would let anyone stream forever.
 */
export function lingerThenClose(req: Request, maxBytes = LINGER_BYTES, maxMs = LINGER_MS): void {
  let dropped = 0;
  const cut = (): void => {
    clearTimeout(timer);
    req.destroy();
  };
  const timer = setTimeout(cut, maxMs);
  timer.unref();
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBytes) cut();
  });
  req.once("end", () => clearTimeout(timer));
  req.once("close", () => clearTimeout(timer));
  req.resume();
}
