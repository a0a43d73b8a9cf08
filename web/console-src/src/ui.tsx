// Small shared pieces: error banners, badges, number formats, downloads.
import type { ComponentChildren } from 'preact';
import { APIError } from './api';

export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  const forbidden = error instanceof APIError && error.forbidden;
  return (
    <div class="banner error" role="alert">
      <span>{forbidden ? `This key may not do that (${msg}). The console needs an admin key.` : msg}</span>
      {onDismiss && (
        <button type="button" class="link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'ok' | 'warn' }) {
  return (
    <div class={`banner ${kind}`} role="status">
      {children}
    </div>
  );
}

export function Badge({ children, tone = 'grey' }: { children: ComponentChildren; tone?: string }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
export const int = (x: number) => x.toLocaleString('en-US');
export const when = (t?: string | null) =>
  t ? new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—';

/** Starts a download of text made in the page: nothing goes to a server. */
export function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * One CSV cell (RFC 4180 quoting). A cell a spreadsheet would read as a
 * formula (=, +, -, @, tab, CR first) gets a leading apostrophe: copy text
 * is written by a model and must not run as a formula in Excel.
 */
export function csvCell(v: unknown): string {
  let s = v == null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * Marks the moment the first screen has its data on the page. Tests (and
 * anyone with the devtools open) read it as the performance mark
 * console:first-screen, measured from navigation start.
 */
let firstShown = false;
export function firstScreenShown() {
  if (firstShown) return;
  firstShown = true;
  // In the frame that paints it: the DOM holds the data by now, and
  // requestAnimationFrame runs just before that frame is drawn.
  requestAnimationFrame(() => {
    const m = performance.mark('console:first-screen');
    document.documentElement.dataset.firstScreenMs = m.startTime.toFixed(1);
  });
}

