import { createHash, randomBytes } from "node:crypto";
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { recordAudit } from "../../auth/audit.ts";
import { dummyHash, verifyPassword } from "../../auth/passwords.ts";
import { SESSION_COOKIE } from "../../auth/sessions.ts";
import { createUser, findUserByName, setPassword } from "../../auth/users.ts";
import type { Core } from "../../core.ts";
import { AppError } from "../../errors.ts";
import { formFlash } from "../../sdk/form-flash.ts";
import type { AppContext, Env, PageOptions } from "../../sdk/types.ts";
import { Card, Field, Flash } from "../../../views/components/ui.tsx";
import { clientIp } from "../../http/client-ip.ts";
import { preSessionCsrf } from "../../http/middleware.ts";
import { safeNext } from "../../http/safe-next.ts";
import { renderPage } from "../../http/render.tsx";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The page to show after signing in: a path on this origin, never another site. */
const nextOf = (c: AppContext, n: unknown) =>
  safeNext(typeof n === "string" ? n : undefined, new URL(c.req.url).origin);

export function isSecure(core: Core, c: AppContext): boolean {
  if (core.config.publicUrl?.startsWith("https:")) return true;
  return core.config.trustProxy && c.req.header("X-Forwarded-Proto") === "https";
}

/** Creates the one-time setup token when no user exists; returns the link to print, or null. */
export async function ensureSetupLink(core: Core, baseUrl: string): Promise<string | null> {
  const users = await core.db.selectFrom("users").select("id").limit(1).execute();
  if (users.length) return null;
  const token = randomBytes(24).toString("base64url");
  await core.db
    .insertInto("kv")
    .values({ key: "setup_token", value: sha256(token) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: sha256(token) }))
    .execute();
  return `${baseUrl}/setup?token=${token}`;
}

async function startSession(core: Core, c: AppContext, userId: number) {
  const s = await core.sessions.create(userId, {
    ip: clientIp(c, core.config.trustProxy),
    userAgent: c.req.header("User-Agent") ?? null,
  });
  setCookie(c, SESSION_COOKIE, s.cookie, {
    httpOnly: true,
    sameSite: "Lax",
    secure: isSecure(core, c),
    path: "/",
    expires: s.expires,
  });
}

function LoginForm(props: { csrf: string; next: string; username?: string }) {
  return (
    <Card title="Sign in to odoodeck">
      <form method="post" action="/login">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <Field label="Username" name="username" value={props.username} required autocomplete="username" />
        <Field label="Password" name="password" type="password" required autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </form>
    </Card>
  );
}

/** Before anyone has an account, the sign-in page says how to make the first one. */
function FirstRun() {
  return (
    <Card title="Welcome to odoodeck">
      <p>No account exists yet. To set up:</p>
      <ol>
        <li>
          Open the one-time <strong>setup link</strong> odoodeck printed where it started (the terminal or{" "}
          <code>journalctl -u odoodeck</code>). Restarting odoodeck prints a new one.
        </li>
        <li>Create the admin account there; you are signed in at once.</li>
      </ol>
      <p class="muted">
        Or, on the server: <code>odoodeck user add admin --role admin</code>, then reload this page.
      </p>
    </Card>
  );
}

export function authPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/login", async (c) => {
    if (c.get("principal")) return c.redirect(nextOf(c, c.req.query("next")), 303) as Response;
    const csrf = preSessionCsrf(c, isSecure(core, c));
    const noUser = !(await core.db.selectFrom("users").select("id").limit(1).execute()).length;
    return renderPage(core, c, {
      title: "Sign in",
      flash: c.req.query("expired")
        ? { kind: "info", message: "Your session has expired. Please sign in again." }
        : null,
      body: noUser ? <FirstRun /> : <LoginForm csrf={csrf} next={nextOf(c, c.req.query("next"))} />,
    });
  });

  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const username = String(form.username ?? "").trim();
    const password = String(form.password ?? "");
    const ip = clientIp(c, core.config.trustProxy) ?? "unknown";
    const wait = await core.limiter.retryAfter(ip, username);
    const again = (flash: { kind: "error"; message: string; hint?: string; code?: string }, status: number) =>
      renderPage(core, c, {
        title: "Sign in",
        status,
        flash,
        body: (
          <LoginForm
            csrf={preSessionCsrf(c, isSecure(core, c))}
            next={nextOf(c, form.next)}
            username={username}
          />
        ),
      });
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      const when = seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
      c.header("Retry-After", String(seconds));
      return again(
        {
          kind: "error",
          code: "E_RATE_LIMITED",
          message: `Too many failed sign-ins from your address. Try again in ${when}.`,
          hint: "An admin can unlock you on the Users page, or with: odoodeck user unlock <name>",
        },
        429,
      );
    }
    const user = username ? await findUserByName(core.db, username) : undefined;
    const okPw = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
    if (!user || !okPw || user.disabled) {
      await core.limiter.fail(ip, username);
      await recordAudit(
        core.db,
        { actor: username || "anonymous", ip },
        {
          action: "auth.login",
          result: "error",
          details: { reason: user?.disabled ? "disabled" : "bad credentials" },
        },
      );
      return again({ kind: "error", message: "Wrong username or password." }, 401);
    }
    await core.limiter.succeed(ip, username);
    await startSession(core, c, user.id);
    await recordAudit(core.db, { actor: user.username, actorId: user.id, ip }, { action: "auth.login" });
    return c.redirect(nextOf(c, form.next), 303);
  });

  app.post("/logout", async (c) => {
    const sid = (c as any).get("sessionId") as string | undefined;
    if (sid) await core.sessions.destroy(sid);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    const p = c.get("principal");
    if (p)
      await recordAudit(
        core.db,
        { actor: p.username, actorId: p.userId, ip: clientIp(c, core.config.trustProxy) },
        { action: "auth.logout" },
      );
    return c.redirect("/login", 303);
  });

  const checkSetupToken = async (token: string | undefined) => {
    const users = await core.db.selectFrom("users").select("id").limit(1).execute();
    if (users.length)
      throw new AppError("E_SETUP_DONE", "Setup is already complete", {
        hint: "Sign in instead; an admin can add users",
      });
    const row = await core.db
      .selectFrom("kv")
      .select("value")
      .where("key", "=", "setup_token")
      .executeTakeFirst();
    if (!token || !row || row.value !== sha256(token))
      throw new AppError("E_FORBIDDEN", "This setup link is not valid", {
        hint: "Use the link odoodeck printed when it started (restart it to print a new one)",
      });
  };

  const setupForm = (
    c: AppContext,
    token: string,
    username = "",
    flash: PageOptions["flash"] = null,
    status = 200,
  ) =>
    renderPage(core, c, {
      title: "Set up odoodeck",
      status,
      flash,
      body: (
        <Card title="Create the admin account">
          <p class="muted">This link works once. The account you create here can add everyone else.</p>
          <form method="post" action="/setup">
            <input type="hidden" name="_csrf" value={preSessionCsrf(c, isSecure(core, c))} />
            <input type="hidden" name="token" value={token} />
            <Field label="Username" name="username" value={username} required autocomplete="username" />
            <Field
              label="Password"
              name="password"
              type="password"
              required
              autocomplete="new-password"
              hint="At least 10 characters"
            />
            <Field
              label="Repeat password"
              name="password2"
              type="password"
              required
              autocomplete="new-password"
            />
            <button type="submit">Create admin and sign in</button>
          </form>
        </Card>
      ),
    });

  app.get("/setup", async (c) => {
    const token = c.req.query("token");
    await checkSetupToken(token);
    return setupForm(c, token!);
  });

  app.post("/setup", async (c) => {
    const form = await c.req.parseBody();
    const token = String(form.token ?? "");
    await checkSetupToken(token);
    const username = String(form.username ?? "");
    try {
      if (form.password !== form.password2) throw new AppError("E_VALIDATION", "The two passwords differ");
      const user = await createUser(core.db, {
        username,
        password: String(form.password ?? ""),
        role: "admin",
      });
      await core.db.deleteFrom("kv").where("key", "=", "setup_token").execute();
      await recordAudit(
        core.db,
        { actor: user.username, actorId: user.id, ip: clientIp(c, core.config.trustProxy) },
        { action: "auth.setup", target: `user:${user.username}` },
      );
      await startSession(core, c, user.id);
      return c.redirect("/", 303);
    } catch (e) {
      return setupForm(c, token, username, formFlash(e), 400);
    }
  });

  app.get("/account", (c) =>
    renderPage(core, c, {
      title: "Your account",
      flash: c.req.query("changed")
        ? { kind: "ok", message: "Password changed. Other sessions were signed out." }
        : null,
      body: (
        <AccountPage
          username={c.get("principal")!.username}
          role={c.get("principal")!.role}
          csrf={c.get("csrf") ?? ""}
        />
      ),
    }),
  );

  app.post("/account/password", async (c) => {
    const p = c.get("principal")!;
    if (p.via !== "session")
      throw new AppError("E_FORBIDDEN", "Change passwords from a signed-in browser session");
    const form = await c.req.parseBody();
    const user = await findUserByName(core.db, p.username);
    const ip = clientIp(c, core.config.trustProxy);
    const fail = (message: string) =>
      renderPage(core, c, {
        title: "Your account",
        status: 400,
        flash: { kind: "error", message },
        body: <AccountPage username={p.username} role={p.role} csrf={c.get("csrf") ?? ""} />,
      });
    if (!user || !(await verifyPassword(String(form.current ?? ""), user.password_hash))) {
      await recordAudit(
        core.db,
        { actor: p.username, actorId: p.userId, ip },
        { action: "auth.password_change", result: "error", details: { reason: "wrong current password" } },
      );
      return fail("The current password is wrong.");
    }
    if (form.password !== form.password2) return fail("The two new passwords differ.");
    try {
      await setPassword(core.db, p.userId, String(form.password ?? ""));
    } catch (e) {
      if (e instanceof AppError && e.code === "E_VALIDATION") return fail(e.message);
      throw e;
    }
    await recordAudit(
      core.db,
      { actor: p.username, actorId: p.userId, ip },
      { action: "auth.password_change" },
    );
    await startSession(core, c, p.userId);
    return c.redirect("/account?changed=1", 303);
  });

  return app;
}

function AccountPage(props: { username: string; role: string; csrf: string }) {
  return (
    <div class="stack">
      <h1>Your account</h1>
      <Card title="Profile">
        <p>
          Signed in as <strong>{props.username}</strong> with the <strong>{props.role}</strong> role.
        </p>
        <p>
          <a href="/tokens">Manage your API tokens</a>
        </p>
      </Card>
      <Card title="Change password">
        <form method="post" action="/account/password">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <Field
            label="Current password"
            name="current"
            type="password"
            required
            autocomplete="current-password"
          />
          <Field
            label="New password"
            name="password"
            type="password"
            required
            autocomplete="new-password"
            hint="At least 10 characters"
          />
          <Field
            label="Repeat new password"
            name="password2"
            type="password"
            required
            autocomplete="new-password"
          />
          <button type="submit">Change password</button>
        </form>
      </Card>
      <Flash kind="info" message="Changing your password signs you out everywhere else." />
    </div>
  );
}
