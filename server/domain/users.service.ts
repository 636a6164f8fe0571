import { z } from "zod";
import { AppError, enforce } from "./errors";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords";
import type { RateLimits, UserRecord, UsersStore } from "./ports";

export const signUpSchema = z.object({
  email: z.email("Enter a valid email address").max(254),
  name: z.string().trim().min(1, "Name is required").max(40, "Name is at most 40 characters"),
  password: z.string().min(8, "Password must be at least 8 characters").max(200, "Password is too long"),
});
export type SignUpInput = z.input<typeof signUpSchema>;

export const credentialsSchema = z.object({ email: z.string().max(254), password: z.string().max(200) });

export function createUsersService(
  users: UsersStore,
  options: { adminEmails: readonly string[]; limits: RateLimits },
) {
  const adminEmails = new Set(options.adminEmails.map((e) => e.trim().toLowerCase()));
  return {
    async signUp(input: unknown): Promise<UserRecord> {
      const parsed = signUpSchema.safeParse(input);
      if (!parsed.success) {
        throw new AppError("invalid_payload", parsed.error.issues.map((i) => i.message).join("; "));
      }
      const { email, name, password } = parsed.data;
      const role = adminEmails.has(email.toLowerCase()) ? "ADMIN" : "USER";
      return users.create({ email, name, passwordHash: await hashPassword(password), role });
    },

    /** The user for these credentials, or null. Never says which half was wrong. */
    async verifyCredentials(input: unknown): Promise<UserRecord | null> {
      const parsed = credentialsSchema.safeParse(input);
      if (!parsed.success) return null;
      // Per email, on every node: slows password guessing without locking anyone out for long.
      await enforce(options.limits.auth, parsed.data.email.toLowerCase(), "sign-in attempts");
      const user = await users.findByEmailWithPasswordHash(parsed.data.email);
      if (!user) {
        await burnPasswordCheck(parsed.data.password);
        return null;
      }
      if (!(await verifyPassword(user.passwordHash, parsed.data.password))) return null;
      const { passwordHash: _omit, ...record } = user;
      return record;
    },

    findById: (id: string) => users.findById(id),

    markLastSeen: (userId: string, at: Date) => users.markLastSeen(userId, at),
    connectionProfile: (userId: string) => users.connectionProfile(userId),
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
