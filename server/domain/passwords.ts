import { hash, verify } from "@node-rs/argon2";

// The library's defaults are argon2id, 19 MiB, t=2, p=1: OWASP's recommendation.
export const hashPassword = (password: string) => hash(password);

export const verifyPassword = (passwordHash: string, password: string) =>
  verify(passwordHash, password).catch(() => false);

// Verifying against a throwaway hash when the email is unknown keeps the
// response time the same, so sign-in does not reveal which emails exist.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("parley-dummy-password");
  await verifyPassword(await dummyHash, password);
}
