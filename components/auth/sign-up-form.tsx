"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
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
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    let res: Response;
    try {
      res = await fetch("/api/users", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ email: email.trim(), name: name.trim(), password }),
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
    const failure = await signInWithPassword(email.trim(), password);
    if (failure) {
      // The account exists; let them sign in by hand.
      router.replace("/sign-in");
      return;
    }
    router.replace("/chat");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-col gap-5">
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
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <Field
        label="Email"
        type="email"
        name="email"
        autoComplete="email"
        inputMode="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        hint="At least 8 characters."
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" size="lg" loading={pending} className="w-full">
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
