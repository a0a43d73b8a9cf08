// The merchant console: an admin key, then tabs over the GraphQL API. The
// tabs for features a server lacks (review, experiments, rules, image
// facts) are hidden: one probe at load asks which optional root fields the
// schema has.
import { render } from 'preact';
import './style.css';
import { useEffect, useState } from 'preact/hooks';
import { APIError, gql, probeFields, session } from './api';
import { ErrorBanner } from './ui';
import { ReviewQueue } from './review';
import { Performance } from './performance';
import { Campaigns } from './campaigns';
import { Shoppers } from './shoppers';
import { Experiments } from './experiments';
import { Rules } from './rules';
import { ImageFacts } from './images';

interface Tab {
  id: string;
  label: string;
  needs?: string; // optional root field the tab depends on
  view: () => preact.JSX.Element;
}

const tabs: Tab[] = [
  { id: 'review', label: 'Review queue', needs: 'copyReviewQueue', view: () => <ReviewQueue /> },
  { id: 'performance', label: 'Copy performance', view: () => <Performance /> },
  { id: 'campaigns', label: 'Campaigns', view: () => <Campaigns /> },
  { id: 'shoppers', label: 'Shoppers', view: () => <Shoppers /> },
  { id: 'experiments', label: 'Experiments', needs: 'experiments', view: () => <Experiments /> },
  { id: 'rules', label: 'Merchandising rules', needs: 'merchandisingRules', view: () => <Rules /> },
  { id: 'images', label: 'Image facts', needs: 'productImageFacts', view: () => <ImageFacts /> },
];
const FEATURES = 'shopmuse.console.features';
const optional = tabs.flatMap((t) => (t.needs ? [t.needs] : []));

function Login({ onKey, error }: { onKey: (k: string) => void; error?: unknown }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(error);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    try {
      // users is admin-only: a key that may list them is an admin key.
      await gql('query ConsoleWhoAmI { users(first: 1) { totalCount } }', {}, key.trim());
      onKey(key.trim());
    } catch (e) {
      setErr(
        e instanceof APIError && e.unauthenticated
          ? new Error('The server does not know this key.')
          : e instanceof APIError && e.forbidden
            ? new Error('This key is valid but not an admin key; the console needs one.')
            : e,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form class="card" onSubmit={submit}>
        <h1>
          shopmuse <span>merchant console</span>
        </h1>
        <label for="key">Admin API key</label>
        <input
          id="key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          placeholder="the key from SHOPMUSE_API_KEYS"
          autoFocus
        />
        <p class="hint">Kept in this tab's session storage only, and sent to this server alone.</p>
        <ErrorBanner error={err} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: (why?: unknown) => void }) {
  const [present, setPresent] = useState<Set<string> | null>(null);
  const [err, setErr] = useState<unknown>();
  const [hash, setHash] = useState(location.hash.slice(1));
  useEffect(() => {
    // What the last probe in this tab found shows the tabs at once; the
    // probe runs again anyway (the server may have been upgraded).
    const cached = sessionStorage.getItem(FEATURES);
    if (cached) {
      try {
        setPresent(new Set(JSON.parse(cached) as string[]));
      } catch {
        sessionStorage.removeItem(FEATURES);
      }
    }
    // With tabs from the cache, the probe waits a moment so that it does
    // not compete with the first screen's own request.
    const probe = () => probeFields(optional, session.get());
    (cached ? new Promise<void>((ok) => setTimeout(ok, 1500)).then(probe) : probe())
      .then((p) => {
        sessionStorage.setItem(FEATURES, JSON.stringify([...p]));
        setPresent((old) => (old && old.size === p.size && [...p].every((f) => old.has(f)) ? old : p));
      })
      .catch((e) => (e instanceof APIError && e.unauthenticated ? onSignOut(e) : setErr(e)));
    const onHash = () => setHash(location.hash.slice(1));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const shown = present ? tabs.filter((t) => !t.needs || present.has(t.needs)) : [];
  const current = shown.find((t) => t.id === hash) ?? shown[0];
  return (
    <div class="shell">
      <header>
        <div class="brand">
          shopmuse <span>merchant console</span>
        </div>
        <nav aria-label="Screens">
          {shown.map((t) => (
            <a key={t.id} href={`#${t.id}`} class={t === current ? 'active' : ''} aria-current={t === current ? 'page' : undefined}>
              {t.label}
            </a>
          ))}
        </nav>
        <button type="button" class="quiet" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      <main id="screen" data-screen={current?.id}>
        <ErrorBanner error={err} />
        {current ? <current.view key={current.id} /> : !err && <p class="loading">Loading…</p>}
      </main>
    </div>
  );
}

function App() {
  const [key, setKey] = useState(session.get());
  const [why, setWhy] = useState<unknown>();
  if (!key) {
    return (
      <Login
        error={why}
        onKey={(k) => {
          session.set(k);
          setKey(k);
        }}
      />
    );
  }
  return (
    <Shell
      onSignOut={(e) => {
        session.clear();
        sessionStorage.clear(); // features, campaign IDs: nothing outlives the key
        setWhy(e ? new Error('The key is no longer accepted; enter it again.') : undefined);
        setKey('');
      }}
    />
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the boot message
render(<App />, root);
