import { type FormEvent, useState } from "react";
import { api, type DashboardSession, type UserView } from "../api";
import { Field, Notice, toApiError } from "../ui";

/** Sign in with an API key: exchanged for an HTTP-only session cookie; the key itself is never stored in the browser. */
export function SignIn({ onSignedIn, initialError }: { onSignedIn: (u: UserView) => void; initialError: string | null }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api<DashboardSession>("POST", "/session", { api_key: key.trim() });
      setKey("");
      onSignedIn(s.user);
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Holdfast</h1>
      <p>Sign in with your API key. It is exchanged for a session; the key is not kept in this browser.</p>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="API key">
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required />
        </Field>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
    </main>
  );
}
