import argon2 from "argon2";

// argon2id with the library's defaults (OWASP-recommended parameters).
export const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id });

export const verifyPassword = (hash: string, password: string) => argon2.verify(hash, password).catch(() => false);

// Verifying against a throwaway hash when the email is unknown keeps the
// response time the same, so sign-in does not reveal which emails exist.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("parley-dummy-password");
  await verifyPassword(await dummyHash, password);
}
