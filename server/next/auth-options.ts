import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getAppContext } from "../registry";

// next-auth (v4) with email + password and JWT sessions. The session cookie is
// what GET /api/token trades for a short-lived socket token.
export function authOptions(): NextAuthOptions {
  const { env, services } = getAppContext();
  return {
    secret: env.AUTH_SECRET,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: "/sign-in" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials) {
          const user = await services.users.verifyCredentials(credentials);
          return user ? { id: user.id, name: user.name, email: user.email, role: user.role } : null;
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.name = user.name;
          token.role = (user as { role?: "USER" | "ADMIN" }).role ?? "USER";
        }
        return token;
      },
      session({ session, token }) {
        if (session.user && token.sub) {
          session.user.id = token.sub;
          session.user.role = token.role ?? "USER";
        }
        return session;
      },
    },
  };
}
