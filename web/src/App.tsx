/**
 * The shell: who is signed in (GET /api/v1/session), the sign-in form, the
 * navigation and the page for the current path. /admin/* is the admin
 * dashboard; a non-admin sees a 403 page there.
 */
import { useEffect, useState } from "react";
import { api, type DashboardSession, type UserView } from "./api";
import { AdminApp } from "./pages/Admin";
import { BatchesPage, BatchPage } from "./pages/Batches";
import { BuyPage } from "./pages/Buy";
import { DisputesPage } from "./pages/Disputes";
import { JobPage, JobsPage } from "./pages/Jobs";
import { Overview } from "./pages/Overview";
import { SignIn } from "./pages/SignIn";
import { TransactionsPage } from "./pages/Transactions";
import { UsagePage } from "./pages/Usage";
import { Link, navigate, usePath } from "./router";
import { Notice } from "./ui";

const USER_NAV = [
  ["/", "Overview"],
  ["/usage", "Usage"],
  ["/jobs", "Jobs"],
  ["/batches", "Batches"],
  ["/transactions", "Transactions"],
  ["/buy", "Buy credits"],
  ["/disputes", "Disputes"],
] as const;

const ADMIN_NAV = [
  ["/admin", "Users"],
  ["/admin/system", "System"],
  ["/admin/disputes", "Dispute queue"],
] as const;

let tokenExchange: Promise<DashboardSession> | null = null;

export function App() {
  const path = usePath();
  const [user, setUser] = useState<UserView | null | undefined>(undefined);
  const [signInError, setSignInError] = useState<string | null>(null);

  useEffect(() => {
    // A one-click sign-in link (printed by `npm start`) carries its token in the fragment, which never reaches a server log.
    const token = /^#sign-in=([\w-]+)$/.exec(location.hash)?.[1];
    // The token works once: exchange it once per page load, even when StrictMode (development) runs this effect twice.
    const start = token
      ? (tokenExchange ??= api<DashboardSession>("POST", "/session", { sign_in_token: token }).finally(() => history.replaceState(null, "", location.pathname)))
      : api<DashboardSession>("GET", "/session");
    start.then(
      (s) => setUser(s.user),
      (err: { message?: string }) => {
        if (token) setSignInError(err.message ?? "This sign-in link did not work.");
        setUser(null);
      },
    );
  }, []);

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) return <SignIn onSignedIn={setUser} initialError={signInError} />;

  const admin = path === "/admin" || path.startsWith("/admin/");
  const nav = admin ? ADMIN_NAV : USER_NAV;
  const signOut = async () => {
    await api("DELETE", "/session");
    setUser(null);
    navigate("/");
  };

  return (
    <div className="shell">
      <header className="top">
        <Link href={admin ? "/admin" : "/"} className="brand">
          Holdfast{admin ? " admin" : ""}
        </Link>
        <nav aria-label={admin ? "Admin" : "Dashboard"}>
          <ul>
            {nav.map(([href, label]) => (
              <li key={href}>
                <Link href={href} aria-current={path === href || (href !== "/" && href !== "/admin" && path.startsWith(href)) ? "page" : undefined}>
                  {label}
                </Link>
              </li>
            ))}
            {user.role === "admin" ? (
              <li>
                <Link href={admin ? "/" : "/admin"}>{admin ? "My dashboard" : "Admin"}</Link>
              </li>
            ) : null}
          </ul>
        </nav>
        <div className="who">
          <span className="who-email">{user.email}</span>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main>{admin ? user.role === "admin" ? <AdminApp path={path} /> : <Forbidden /> : <UserPage path={path} />}</main>
    </div>
  );
}

function UserPage({ path }: { path: string }) {
  const job = /^\/jobs\/([0-9a-f-]{36})$/.exec(path);
  if (job) return <JobPage id={job[1]!} />;
  const batch = /^\/batches\/([0-9a-f-]{36})$/.exec(path);
  if (batch) return <BatchPage key={batch[1]} id={batch[1]!} />;
  switch (path) {
    case "/":
      return <Overview />;
    case "/usage":
      return <UsagePage />;
    case "/jobs":
      return <JobsPage />;
    case "/batches":
      return <BatchesPage />;
    case "/transactions":
      return <TransactionsPage />;
    case "/buy":
      return <BuyPage />;
    case "/disputes":
      return <DisputesPage />;
    default:
      return <Notice kind="error">There is no page at {path}.</Notice>;
  }
}

function Forbidden() {
  return (
    <section aria-labelledby="forbidden-title" className="forbidden">
      <h1 id="forbidden-title">403 — admins only</h1>
      <p>The admin dashboard needs an admin account. You are signed in as a user.</p>
      <Link href="/">Back to your dashboard</Link>
    </section>
  );
}
