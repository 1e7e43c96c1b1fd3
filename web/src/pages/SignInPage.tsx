/** Sign in and sign up: one form, two sets of fields. */
import { useState } from "react";
import type { FormEvent } from "react";

import { useAuth } from "../auth/AuthContext";
import { Link, useLocation } from "../router";

function AuthForm({ mode }: { mode: "signin" | "signup" }) {
  const { signIn, signUp } = useAuth();
  const { search } = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signingUp = mode === "signup";

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "");
    setBusy(true);
    setError(null);
    try {
      if (signingUp) await signUp(field("email"), field("name"), field("password"));
      else await signIn(field("email"), field("password"));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };

  const title = signingUp ? "Create your account" : "Sign in to Glimpse";
  return (
    <main className="auth-page">
      <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        {signingUp && (
          <label>
            Display name
            <input name="name" autoComplete="name" required maxLength={64} />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={signingUp ? "new-password" : "current-password"}
            required
            minLength={signingUp ? 8 : undefined}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {signingUp ? "Sign up" : "Sign in"}
        </button>
        <p>
          {signingUp ? "Have an account? " : "New here? "}
          <Link href={(signingUp ? "/signin" : "/signup") + search}>
            {signingUp ? "Sign in" : "Create an account"}
          </Link>
        </p>
      </form>
    </main>
  );
}

export function SignInPage() {
  return <AuthForm mode="signin" />;
}

export function SignUpPage() {
  return <AuthForm mode="signup" />;
}
