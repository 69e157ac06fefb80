import { AppError } from "../errors.ts";

export const MIN_PASSWORD_LENGTH = 10;

export function checkPasswordPolicy(password: string, username?: string): void {
  if (typeof password !== "string" || password.length < MIN_PASSWORD_LENGTH)
    throw new AppError("E_VALIDATION", `The password must have at least ${MIN_PASSWORD_LENGTH} characters`, {
      hint: "A few unrelated words make a long password that is easy to remember",
    });
  if (password.length > 1024)
    throw new AppError("E_VALIDATION", "The password is too long (1024 characters at most)");
  if (username && password.toLowerCase() === username.toLowerCase())
    throw new AppError("E_VALIDATION", "The password must not be the username");
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, hash);
  } catch {
    return false;
  }
}

// Verifying against a dummy hash when the user does not exist keeps timing the same for both cases.
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("odoodeck-timing-equaliser");
  return dummy;
}
