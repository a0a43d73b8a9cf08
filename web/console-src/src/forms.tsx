// Forms that write through the API: errors by field, from the page's own
// checks and from the server's userErrors alike, shown next to the field
// they name. The page checks only what is trivially checkable (required
// parts, number ranges); the server is the authority and its userErrors
// name fields by path, such as ["input", "0", "condition", "minPrice"].
import type { ComponentChildren } from 'preact';
import type { UserError } from './api';

/** Messages by field path ("condition.minPrice"; "" for the whole input). */
export type FieldErrors = Record<string, string[]>;

/** Server userErrors by field, without the first `strip` path parts (e.g. ["input", "0"]). */
export function byField(errs: UserError[], strip: number): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errs) {
    const key = (e.field ?? []).slice(strip).join('.');
    (out[key] ??= []).push(e.message);
  }
  return out;
}

const within = (key: string, name: string) => key === name || key.startsWith(`${name}.`);

/** The messages about a field or anything inside it. */
export function messagesFor(errs: FieldErrors, name: string): string[] {
  return Object.entries(errs).flatMap(([k, m]) => (within(k, name) ? m : []));
}

/**
 * The messages no field on show claims (names: the fields the form shows),
 * for a banner at the top of the form: nothing the server says is dropped.
 */
export function unclaimed(errs: FieldErrors, names: string[]): string[] {
  return Object.entries(errs).flatMap(([k, m]) => (names.some((n) => within(k, n)) ? [] : m.map((x) => (k ? `${k}: ${x}` : x))));
}

/** Collects local errors in the server's shape. */
export class Check {
  readonly errs: FieldErrors = {};
  add(name: string, msg: string) {
    (this.errs[name] ??= []).push(msg);
  }
  get ok(): boolean {
    return Object.keys(this.errs).length === 0;
  }
}

export function FieldError({ errs, name }: { errs: FieldErrors; name: string }) {
  const m = messagesFor(errs, name);
  if (!m.length) return null;
  return (
    <span class="field-error" role="alert">
      {m.join('; ')}
    </span>
  );
}

/** A labelled input with its errors under it; data-field names it for tests. */
export function Field({ label, name, errs, hint, children, wide }: { label: string; name: string; errs: FieldErrors; hint?: string; children: ComponentChildren; wide?: boolean }) {
  const bad = messagesFor(errs, name).length > 0;
  return (
    <label class={`field${bad ? ' invalid' : ''}${wide ? ' wide' : ''}`} data-field={name}>
      <span class="label">{label}</span>
      {children}
      {hint && <small class="hint">{hint}</small>}
      <FieldError errs={errs} name={name} />
    </label>
  );
}

/** Splits a list typed as text: commas (also ，) or new lines. */
export const splitList = (s: string, spaces = false) =>
  s
    .split(spaces ? /[\s,，、]+/ : /[,，、\n]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** An RFC 3339 time as the value of an <input type=datetime-local> (local time, seconds kept). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The value of an <input type=datetime-local> as RFC 3339 (UTC), or null when it is empty or not a time. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A finite number typed as text, or NaN (also for the empty string). */
export const num = (s: string) => (s.trim() === '' ? NaN : Number(s.trim()));
