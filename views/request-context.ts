import { createContext, useContext } from "hono/jsx";

export interface ViewContext {
  csrf: string | null;
  username: string | null;
  role: string | null;
}

/** Carries the request's CSRF token and user into components rendered anywhere in a page. */
export const ViewCtx = createContext<ViewContext>({ csrf: null, username: null, role: null });
export const useView = () => useContext(ViewCtx);
