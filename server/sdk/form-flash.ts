import { isAppError } from "../errors.ts";

/** The flash a form page shows above the form it re-renders. */
export interface FormFlash {
  kind: "error";
  message: string;
  hint?: string;
}

/** The codes that mean "the input was wrong": the form comes back with what was typed and why. */
export const FORM_ERROR_CODES: readonly string[] = [
  "E_VALIDATION",
  "E_CONFLICT",
  "E_CONFIRMATION",
  "E_CONF_INVALID",
];

/**
 * A form action failed: an input mistake (an AppError with one of `codes`) becomes the flash the
 * page re-renders with; anything else is rethrown, for the error handler (a stack trace is never
 * the answer to bad input, and a bug is never dressed up as one).
 * @example
 * app.post("/greetings", async (c) => {
 *   try {
 *     await addGreeting(ctx, await c.req.parseBody());
 *   } catch (e) {
 *     return greetingsPage(c, formFlash(e), 400);
 *   }
 *   return c.redirect(`/p/hello/greetings`, 303);
 * });
 * formFlash(e, ["E_VALIDATION", "E_NOT_FOUND"]); // a schedule's job may be gone too
 */
export function formFlash(e: unknown, codes: readonly string[] = FORM_ERROR_CODES): FormFlash {
  if (isAppError(e) && codes.includes(e.code)) return { kind: "error", message: e.message, hint: e.hint };
  throw e;
}
