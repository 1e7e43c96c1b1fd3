/**
 * Sign in and sign up: one form, two sets of fields. Sign-up follows the server's policy: closed,
 * invite-only (the invite comes from the link, `/signup?invite=…`), or open.
 */
import { useState } from "react";
import type { FormEvent } from "react";

import { errorMessage, fieldErrors } from "../api/errorMessages";
import { useAuthPolicy } from "../api/queries";
import { useAuth } from "../auth/AuthContext";
import { describedBy, FieldProblem } from "../components/FieldProblem";
import { focusHeading, Link, useLocation } from "../router";
import { ErrorAlert } from "../components/ErrorAlert";

function AuthForm({ mode, invite }: { mode: "signin" | "signup"; invite?: string }) {
  const { signIn, signUp } = useAuth();
  const { search } = useLocation();
  const [error, setError] = useState<string | null>(null);
  /** The server's word on each field it refused, shown under the field. */
  const [problems, setProblems] = useState<Readonly<Record<string, string>>>({});
  const [busy, setBusy] = useState(false);
  const signingUp = mode === "signup";

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "");
    setBusy(true);
    setError(null);
    setProblems({});
    try {
      if (signingUp) await signUp(field("email"), field("name"), field("password"), invite);
      else await signIn(field("email"), field("password"));
    } catch (failure) {
      setError(errorMessage(failure));
      setProblems(fieldErrors(failure));
      setBusy(false);
    }
  };

  const title = signingUp ? "Create your account" : "Sign in to Glimpse";
  return (
    <main className="auth-page">
      <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="auth-title">
        <h1 ref={focusHeading} tabIndex={-1} id="auth-title">
          {title}
        </h1>
        {invite && (
          <p className="muted">
            You were invited: sign up with the e-mail address the invite was sent to.
          </p>
        )}
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete="email"
            required
            {...describedBy(problems, "email")}
          />
          <FieldProblem problems={problems} field="email" />
        </label>
        {signingUp && (
          <label>
            Display name
            <input
              name="name"
              autoComplete="name"
              required
              maxLength={64}
              {...describedBy(problems, "display_name")}
            />
            <FieldProblem problems={problems} field="display_name" />
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
            {...describedBy(problems, "password")}
          />
          <FieldProblem problems={problems} field="password" />
        </label>
        <ErrorAlert>{error}</ErrorAlert>
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

/** Why sign-up is not possible here, instead of the form. */
function SignUpUnavailable({ reason }: { reason: string }) {
  const { search } = useLocation();
  return (
    <main className="auth-page">
      <section className="card" aria-labelledby="auth-title">
        <h1 ref={focusHeading} tabIndex={-1} id="auth-title">
          Create your account
        </h1>
        <p role="status">{reason}</p>
        <p>
          Have an account? <Link href={"/signin" + search}>Sign in</Link>
        </p>
      </section>
    </main>
  );
}

export function SignUpPage() {
  const { search } = useLocation();
  const invite = new URLSearchParams(search).get("invite") ?? undefined;
  const policy = useAuthPolicy();
  if (policy.isPending)
    return (
      <p className="centered" role="status">
        Loading…
      </p>
    );
  if (policy.data?.signup === "closed")
    return <SignUpUnavailable reason="Sign-up is closed on this server." />;
  if (policy.data?.signup === "invite" && !invite)
    return (
      <SignUpUnavailable reason="Sign-up on this server is by invitation: open the invite link you were sent." />
    );
  return <AuthForm mode="signup" invite={invite} />;
}
