/**
 * The session ended by itself (a refresh answered 401): the page stays mounted underneath, with
 * what was typed in it, and this dialog signs in again in place, so the person is back where they
 * were. Signing out instead leaves for the sign-in page.
 */
import { useState } from "react";
import type { FormEvent } from "react";

import { errorMessage } from "../api/errorMessages";
import { useAuth } from "../auth/AuthContext";
import { Dialog } from "./Dialog";
import { ErrorAlert } from "./ErrorAlert";

export function SessionEndedDialog({ email }: { email: string }) {
  const { signIn, signOut } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  // Escape or a click outside must not drop the page: only signing in or out closes it.
  return (
    <Dialog title="Your session has ended" role="alertdialog" onClose={() => undefined}>
      <form onSubmit={(event) => void submit(event)}>
        <p>Sign in again to carry on where you were; what you typed is kept.</p>
        <p className="muted">{email}</p>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ErrorAlert>{error}</ErrorAlert>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
        <button type="button" onClick={() => void signOut().catch(() => undefined)}>
          Sign out
        </button>
      </form>
    </Dialog>
  );
}
