"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { useHydrated } from "@/lib/client/use-hydrated";
import { FormAlert } from "./form-alert";
import { signInWithPassword } from "./sign-in-form";

function errorMessage(body: unknown, status: number): string {
  if (typeof body === "object" && body !== null && "error" in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === "object" && error !== null && "message" in error) {
      const message = (error as { message: unknown }).message;
      if (typeof message === "string" && message.length > 0) {
        // Validation errors come joined with "; ": one sentence each.
        return message
          .split("; ")
          .map((part) => (/[.!?]$/.test(part) ? part : `${part}.`))
          .join(" ");
      }
    }
  }
  if (status === 409) return "An account with this email already exists.";
  if (status >= 500) return "The server could not create your account right now. Try again in a moment.";
  return "Something went wrong. Check the form and try again.";
}

export function SignUpForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Until React runs, submitting would be a plain form post: keep the button inert.
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Read the fields from the form (not React state): text typed before hydration counts too.
    const form = new FormData(event.currentTarget);
    const name = String(form.get("name") ?? "").trim();
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    // The server validates too; these mirror its rules to answer without a round trip.
    const problems = [
      name ? null : "Name is required.",
      /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? null : "Enter a valid email address.",
      password.length >= 8 ? null : "Password must be at least 8 characters.",
    ].filter((p): p is string => p !== null);
    if (problems.length > 0) {
      setError(problems.join(" "));
      return;
    }
    setPending(true);
    setError(null);
    let res: Response;
    try {
      res = await fetch("/api/users", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ email, name, password }),
      });
    } catch {
      setPending(false);
      setError("Can't reach the server. Check your connection and try again.");
      return;
    }
    if (res.status !== 201) {
      const body: unknown = await res.json().catch(() => null);
      setPending(false);
      setError(errorMessage(body, res.status));
      return;
    }
    const failure = await signInWithPassword(email, password);
    if (failure) {
      // The account exists; let them sign in by hand.
      router.replace("/sign-in");
      return;
    }
    router.replace("/chat");
    router.refresh();
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="flex flex-col gap-5">
      <div className="flex flex-col gap-1">
        <h1 className="text-xl font-semibold tracking-tight">Create your account</h1>
        <p className="text-sm text-ink-muted">It takes a few seconds. No email confirmation.</p>
      </div>
      {error ? <FormAlert>{error}</FormAlert> : null}
      <Field
        label="Name"
        name="name"
        autoComplete="name"
        autoFocus
        maxLength={40}
        hint="Shown next to your messages."
      />
      <Field
        label="Email"
        type="email"
        name="email"
        autoComplete="email"
        inputMode="email"
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        hint="At least 8 characters."
      />
      <Button type="submit" size="lg" loading={pending} disabled={!hydrated} className="w-full">
        Create account
      </Button>
      <p className="text-center text-sm text-ink-muted">
        Already have an account?{" "}
        <Link href="/sign-in" className="font-medium text-accent hover:underline">
          Sign in
        </Link>
      </p>
    </form>
  );
}
