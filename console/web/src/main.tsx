import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { loadSession, signIn, signOut, type SessionInfo } from "./api.js";
import { ErrorText } from "./components.js";
import { AdminPage } from "./pages/admin.js";
import { CatalogPage } from "./pages/catalog.js";
import { DatabasesPage } from "./pages/databases.js";
import { DetailPage } from "./pages/detail.js";
import { startLive, stopLive, useLive } from "./store.js";

/** Hash routes: nothing but page names and object names ever goes in the URL. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const onChange = () => {
      setRoute(read());
      document.getElementById("main")?.focus();
    };
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function SignIn(props: { onSignedIn: (session: SessionInfo) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  return (
    <main id="main" class="signin">
      <h1>Sign in to the Steward console</h1>
      <p>Paste a Kubernetes bearer token (for example from <code>kubectl create token NAME</code> or your OIDC login). The console sends it only to the Kubernetes API server; what you may do is what RBAC lets this token do.</p>
      <form onSubmit={(event) => (event.preventDefault(), signIn(token).then(props.onSignedIn, (failure: unknown) => setError(String(failure instanceof Error ? failure.message : failure))))}>
        <label>
          Token
          <input id="token" type="password" autocomplete="off" value={token} required onInput={(event) => setToken(event.currentTarget.value)} />
        </label>
        <ErrorText error={error} />
        <button type="submit" class="primary">Sign in</button>
      </form>
    </main>
  );
}

function Shell(props: { session: SessionInfo; onSignOut: () => void }) {
  const route = useRoute();
  const live = useLive();
  useEffect(() => {
    startLive(props.session.user);
    return stopLive;
  }, []);
  const page = route[0] ?? "";
  const content =
    page === "db" && route[1] && route[2] ? <DetailPage namespace={route[1]} name={route[2]} /> : page === "catalog" ? <CatalogPage template={route[1]} /> : page === "admin" ? <AdminPage /> : <DatabasesPage />;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} aria-current={active ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById("main")?.focus())}>Skip to content</a>
      <header class="top">
        <span class="brand">Steward</span>
        <nav aria-label="Main">
          {link("#/", "Databases", page === "" || page === "db")}
          {link("#/catalog", "Catalog", page === "catalog")}
          {link("#/admin", "Admin", page === "admin")}
        </nav>
        <span class="who">
          <span class={`live ${live.mode}`} title="How this page stays current">{live.mode === "live" ? "● live" : live.mode === "polling" ? "● polling" : "○ connecting"}</span>
          {props.session.user}
          {props.session.auth === "token" && (
            <button type="button" class="plain" onClick={() => void signOut().then(props.onSignOut)}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {content}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<string>();
  useEffect(() => void loadSession().then(setSession, (failure: unknown) => setError(String(failure))), []);
  if (error) return <main id="main"><ErrorText error={error} /></main>;
  if (!session) return <main id="main"><p>loading…</p></main>;
  if (!session.user) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignOut={() => void loadSession().then(setSession)} />;
}

render(<App />, document.getElementById("app")!);
