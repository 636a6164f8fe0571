"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { useHydrated } from "@/lib/client/use-hydrated";
import { FormAlert } from "./form-alert";

/** Signs in with the next-auth "credentials" provider; returns an error text or null. */
export async function signInWithPassword(email: string, password: string): Promise<string | null> {
  try {
    const res = await signIn<"credentials">("credentials", { email, password, redirect: false });
    if (res && res.ok && !res.error) return null;
    if (res && res.status >= 500) return "The server could not sign you in right now. Try again in a moment.";
    return "Wrong email or password";
  } catch {
    return "Can't reach the server. Check your connection and try again.";
  }
}

export function SignInForm({ notice = null }: { notice?: string | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Until React runs, submitting would be a plain form post: keep the button inert.
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Read the fields from the form (not React state): text typed before hydration counts too.
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    if (!email || !password) {
      setError("Enter your email and password.");
      return;
    }
    setPending(true);
    setError(null);
    const failure = await signInWithPassword(email, password);
    if (failure) {
      setPending(false);
      setError(failure);
      return;
    }
    router.replace("/chat");
    router.refresh();
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="flex flex-col gap-5">
      <div className="flex flex-col gap-1">
        <h1 className="text-xl font-semibold tracking-tight">Welcome back</h1>
        <p className="text-sm text-ink-muted">Sign in to pick up where you left off.</p>
      </div>
      {error ? <FormAlert>{error}</FormAlert> : notice ? <FormAlert>{notice}</FormAlert> : null}
      <Field
        label="Email"
        type="email"
        name="email"
        autoComplete="email"
        inputMode="email"
        autoFocus
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
      />
      <Button type="submit" size="lg" loading={pending} disabled={!hydrated} className="w-full">
        Sign in
      </Button>
      <p className="text-center text-sm text-ink-muted">
        New to Parley?{" "}
        <Link href="/sign-up" className="font-medium text-accent hover:underline">
          Create an account
        </Link>
      </p>
    </form>
  );
}
