// odoodeck page glue: htmx settings, CSRF on every form, local times.
(() => {
  const csrf = () => {
    const h = document.body?.getAttribute("hx-headers");
    try {
      return h ? JSON.parse(h)["X-CSRF-Token"] : null;
    } catch {
      return null;
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    if (window.htmx) {
      // Error answers are HTML flashes the server retargets: let htmx swap them.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "[45]..", swap: true, error: true },
      ];
      htmx.config.historyCacheSize = 0;
    }
    // On a phone the instance tabs scroll sideways: keep the current one in sight.
    document.querySelector(".tabs a.active")?.scrollIntoView({ block: "nearest", inline: "center" });
  });
  // A form rendered without the token (e.g. injected by a third-party fragment) still gets one.
  document.addEventListener(
    "submit",
    (e) => {
      const f = e.target;
      if (!(f instanceof HTMLFormElement) || f.method.toLowerCase() !== "post") return;
      if (!f.querySelector('input[name="_csrf"]') && csrf()) {
        const i = document.createElement("input");
        i.type = "hidden";
        i.name = "_csrf";
        i.value = csrf();
        f.appendChild(i);
      }
    },
    true,
  );
  // Dangerous buttons ask for the typed name when data-confirm-name is set.
  document.addEventListener(
    "click",
    (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-confirm]") : null;
      if (b && !window.confirm(b.getAttribute("data-confirm"))) {
        e.preventDefault();
        e.stopPropagation();
      }
    },
    true,
  );
})();

// Light/dark: the system decides until the user toggles; the choice is a cookie so the server
// renders the right theme on the first paint.
(() => {
  document.addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("#theme-toggle") : null;
    if (!b) return;
    const root = document.documentElement;
    const dark = root.dataset.theme
      ? root.dataset.theme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    // biome-ignore lint/suspicious/noDocumentCookie: the server reads it to render the first paint in the right theme
    document.cookie = `odoodeck_theme=${root.dataset.theme}; path=/; max-age=31536000; samesite=lax`;
  });
})();

// Command palette: "/" or Ctrl+K focuses the search box, which then lists pages, instances and
// instance actions matching the typed letters in order ("back up prod" → "Backups · prod").
(() => {
  let items = null;
  let active = 0;
  const input = () => document.getElementById("palette-input");
  const list = () => document.getElementById("palette-list");
  const load = async () => {
    if (items) return items;
    const res = await fetch("/palette.json", { headers: { Accept: "application/json" } });
    items = res.ok ? await res.json() : [];
    return items;
  };
  // Letters of the query in order, spaces ignored; earlier and tighter matches rank first.
  const score = (label, q) => {
    const s = label.toLowerCase();
    let at = -1;
    let gaps = 0;
    for (const ch of q.replace(/\s+/g, "")) {
      const n = s.indexOf(ch, at + 1);
      if (n === -1) return -1;
      gaps += n - at - 1;
      at = n;
    }
    return gaps + (s.startsWith(q[0] ?? "") ? 0 : 5);
  };
  const render = async () => {
    const q = input().value.trim().toLowerCase();
    const ul = list();
    if (!q) {
      ul.hidden = true;
      return;
    }
    const hits = (await load())
      .map((it) => ({ it, s: score(it.label, q) }))
      .filter((x) => x.s >= 0)
      .sort((a, b) => a.s - b.s)
      .slice(0, 8);
    active = 0;
    ul.replaceChildren(
      ...hits.map(({ it }, i) => {
        const li = document.createElement("div");
        li.setAttribute("role", "option");
        li.id = `palette-${i}`;
        const a = document.createElement("a");
        a.href = it.href;
        a.textContent = it.label;
        const k = document.createElement("small");
        k.textContent = it.kind;
        a.append(" ", k);
        li.append(a);
        return li;
      }),
    );
    ul.hidden = hits.length === 0;
    mark();
  };
  const mark = () => {
    const opts = [...list().children];
    for (const [i, o] of opts.entries()) o.classList.toggle("active", i === active);
    input().setAttribute("aria-activedescendant", opts[active] ? opts[active].id : "");
  };
  document.addEventListener("keydown", (e) => {
    const el = input();
    if (!el) return;
    const typing = e.target instanceof HTMLElement && e.target.closest("input, textarea, select");
    if ((e.key === "/" && !typing) || (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      el.focus();
      el.select();
      load();
      return;
    }
    if (e.target !== el) return;
    const opts = [...list().children];
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + opts.length) % Math.max(opts.length, 1);
      mark();
    } else if (e.key === "Enter" && !list().hidden && opts[active]) {
      e.preventDefault();
      window.location.href = opts[active].querySelector("a").href;
    } else if (e.key === "Escape") {
      list().hidden = true;
      el.blur();
    }
  });
  document.addEventListener("input", (e) => {
    if (e.target === input()) render();
  });
  document.addEventListener("focusout", (e) => {
    if (e.target === input()) setTimeout(() => list() && (list().hidden = true), 150);
  });
})();

// The restore form: the neutralize default follows the target; a picked file is uploaded at once.
(() => {
  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
    } catch {
      return null;
    }
  };
  document.addEventListener("change", async (e) => {
    const t = e.target;
    if (!(t instanceof HTMLInputElement || t instanceof HTMLSelectElement)) return;
    if (t.name === "target" && t.dataset.neutralize) {
      const box = document.getElementById("restore-neutralize");
      if (box) box.checked = t.dataset.neutralize === "on";
    }
    if (t.id === "restore-file" && t.files && t.files[0]) {
      const file = t.files[0];
      const status = document.getElementById("upload-status");
      const pick = document.getElementById("pick-upload");
      if (pick) pick.checked = true;
      status.textContent = `Uploading ${file.name}…`;
      try {
        const res = await fetch(t.dataset.uploadUrl, {
          method: "POST",
          body: file,
          headers: {
            Accept: "application/json",
            "Content-Type": "application/octet-stream",
            "X-CSRF-Token": csrf() || "",
            "X-Filename": file.name,
          },
        });
        const body = await res.json();
        if (!body.ok)
          throw new Error(`${body.error.message}${body.error.hint ? ` — ${body.error.hint}` : ""}`);
        document.getElementById("restore-source").value = body.data.path;
        status.textContent = `Uploaded ${file.name} (${Math.round(body.data.bytes / 1024)} KB): ready to restore.`;
        status.className = "ok-text";
      } catch (err) {
        status.textContent = `Upload failed: ${err.message}`;
        status.className = "error";
      }
    }
  });
})();
