import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Logo } from "@/components/ui/logo";
import { getSession } from "@/server/next/session";

export const dynamic = "force-dynamic";

export default async function AuthLayout({ children }: { children: ReactNode }) {
  if (await getSession()) redirect("/chat");
  return (
    <main className="flex min-h-dvh flex-col items-center bg-surface px-4 py-10 sm:justify-center sm:py-16">
      <div className="mb-8">
        <Logo />
      </div>
      <div className="w-full max-w-[380px] rounded-2xl border border-line bg-elevated p-6 shadow-pop sm:p-8">{children}</div>
      <p className="mt-8 text-center text-xs text-ink-faint">Open-source, self-hosted realtime chat.</p>
    </main>
  );
}
