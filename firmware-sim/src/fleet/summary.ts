/**
 * The fleet's one-line live summary (stdout every second on a TTY, every 10 s otherwise) and the numbers
 * behind it, also served by the control interface at `GET /summary`.
 */

export interface FleetSummary {
  total: number;
  /** Receivers whose agent runs (not killed). */
  running: number;
  /** Receivers whose MQTT link is up. */
  online: number;
  /** Receivers whose sink is playing now. */
  playing: number;
  /** Events the receivers' outboxes have sent (sum of the batches published, resends included). */
  eventsSent: number;
  /** Plays started since the fleet started. */
  plays: number;
  /** Receivers whose amplifier has an active fault. */
  faults: number;
  /** Receivers whose network is cut by the control interface (`offline`). */
  cut: number;
  /** Receivers stopped by `kill`. */
  killed: number;
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`): string => `${fmt(n)} ${n === 1 ? one : many}`;

/** `fleet 9/10 online · 2 playing · 41 plays · 1,234 events sent · 1 fault · 1 cut · 1 killed` */
export function formatSummary(s: FleetSummary): string {
  const parts = [
    `fleet ${fmt(s.online)}/${fmt(s.total)} online`,
    `${fmt(s.playing)} playing`,
    plural(s.plays, "play"),
    `${fmt(s.eventsSent)} events sent`,
    plural(s.faults, "fault"),
  ];
  if (s.cut > 0) parts.push(`${fmt(s.cut)} cut`);
  if (s.killed > 0) parts.push(`${fmt(s.killed)} killed`);
  return parts.join(" · ");
}

export interface SummaryPrinterDeps {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  read: () => FleetSummary;
  /** Default: 1 s on a TTY, 10 s otherwise. */
  intervalMs?: number;
}

/**
 * Prints the summary periodically: on a TTY rewriting one line in place (`\r`, clear to end of line),
 * otherwise one line per interval so logs stay readable. Returns the function that stops it (and ends the line).
 */
export function startSummaryPrinter(deps: SummaryPrinterDeps): () => void {
  const tty = deps.out.isTTY === true;
  const print = (): void => {
    const line = formatSummary(deps.read());
    deps.out.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const timer = setInterval(print, deps.intervalMs ?? (tty ? 1000 : 10_000));
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) deps.out.write("\n");
  };
}
