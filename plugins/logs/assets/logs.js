// odoodeck logs: follow mode (SSE, pause/resume, auto-scroll) and streamed search with cancel.
// Served from /p/logs/assets (the CSP allows scripts from 'self' only: nothing inline).
(() => {
  const MAX_ROWS = 5000;

  function setupFollow(view) {
    if (view.dataset.bound) return;
    view.dataset.bound = "1";
    const url = view.dataset.followUrl;
    const button = document.getElementById("logs-follow");
    const state = document.getElementById("logs-state");
    const auto = document.getElementById("logs-autoscroll");
    const more = document.getElementById("logs-new");
    const none = document.getElementById("logs-none");
    let es = null;
    let cursor = null;
    let unseen = 0;
    const say = (text) => {
      if (state) state.textContent = text;
    };
    const atBottom = () => view.scrollHeight - view.scrollTop - view.clientHeight < 40;
    const toBottom = () => {
      view.scrollTop = view.scrollHeight;
      unseen = 0;
      if (more) more.hidden = true;
    };
    if (view.dataset.tail) toBottom();
    // Scrolling up stops auto-scroll; back at the bottom it resumes.
    view.addEventListener("scroll", () => {
      if (!auto) return;
      auto.checked = atBottom();
      if (auto.checked) toBottom();
    });
    more?.addEventListener("click", () => {
      if (auto) auto.checked = true;
      toBottom();
    });
    // Oldest rows go first; the "earlier" sentinel stays on top and then starts where rows remain.
    const trim = () => {
      const sentinel = view.querySelector(".lr-more");
      while (view.childElementCount > MAX_ROWS) {
        const old = sentinel ? sentinel.nextElementSibling : view.firstElementChild;
        if (!old) break;
        old.remove();
      }
      const first = sentinel?.nextElementSibling;
      if (sentinel && first?.dataset.offset) {
        const u = new URL(sentinel.dataset.url, location.href);
        const file = (u.searchParams.get("before") || "").replace(/:\d+$/, "");
        u.searchParams.set("before", `${file}:${first.dataset.offset}`);
        sentinel.dataset.url = u.pathname + u.search;
      }
    };
    // The level counters grow with what is streamed (counted once per part of the file).
    let counted = null;
    const addCounts = (e) => {
      let d;
      try {
        d = JSON.parse(e.data);
      } catch {
        return;
      }
      const m = /^(\d+:\d+):(\d+)/.exec(d.at || "");
      if (m && counted && counted.file === m[1] && Number(m[2]) <= counted.offset) return;
      if (m) counted = { file: m[1], offset: Number(m[2]) };
      for (const [level, n] of Object.entries(d.add || {})) {
        const badge = document.querySelector(`#logs-counts [data-level="${level}"]`);
        const b = badge?.querySelector("b");
        if (!b) continue;
        const total = Number(b.dataset.count || 0) + n;
        b.dataset.count = String(total);
        b.textContent = total.toLocaleString("en-US");
        badge.hidden = false;
      }
    };
    const note = (text, kind) => {
      const div = document.createElement("div");
      div.className = `lr lr-note ${kind || ""}`;
      div.textContent = text;
      view.appendChild(div);
    };
    const track = (e) => {
      if (e.lastEventId) cursor = e.lastEventId;
    };
    const start = () => {
      if (es) return;
      const u = new URL(url, location.href);
      if (cursor) u.searchParams.set("cursor", cursor);
      es = new EventSource(u.toString());
      say("connecting…");
      es.addEventListener("open", () => say("following"));
      es.addEventListener("started", (e) => {
        track(e);
        say("following");
      });
      es.addEventListener("cursor", track);
      es.addEventListener("counts", addCounts);
      es.addEventListener("records", (e) => {
        track(e);
        const follow = auto ? auto.checked : true;
        const before = view.childElementCount;
        view.insertAdjacentHTML("beforeend", e.data);
        if (none) none.hidden = true;
        trim();
        if (follow) toBottom();
        else {
          unseen += view.childElementCount - before;
          if (more) {
            more.hidden = false;
            more.textContent = `${unseen > 0 ? unseen : "new"} new line${unseen === 1 ? "" : "s"} below ↓`;
          }
        }
      });
      es.addEventListener("status", (e) => {
        track(e);
        try {
          note(JSON.parse(e.data).message, "lr-status");
        } catch {}
        if (auto?.checked) toBottom();
      });
      es.addEventListener("failed", (e) => {
        let msg = "Following stopped";
        try {
          const err = JSON.parse(e.data);
          msg = `${err.message} [${err.code}]${err.hint ? ` — ${err.hint}` : ""}`;
        } catch {}
        note(msg, "lr-failed");
        stop("stopped");
      });
      es.addEventListener("error", () => {
        // The browser reconnects by itself, sending the last cursor as Last-Event-ID.
        if (es && es.readyState === EventSource.CONNECTING) say("reconnecting…");
        else if (es && es.readyState === EventSource.CLOSED) stop("disconnected");
      });
      if (button) {
        button.textContent = "Pause";
        button.setAttribute("aria-pressed", "true");
      }
    };
    const stop = (why) => {
      if (es) es.close();
      es = null;
      say(why);
      if (button) {
        button.textContent = "Resume";
        button.setAttribute("aria-pressed", "false");
      }
    };
    button?.addEventListener("click", () => (es ? stop("paused") : start()));
    start();
  }

  // Scrolled to (or clicked), the sentinel row on top of the view is replaced by the window above
  // it, which ends with a new sentinel when there is more; what was on screen stays in place.
  function setupEarlier(view) {
    if (view.dataset.earlierBound) return;
    view.dataset.earlierBound = "1";
    const load = async (sentinel) => {
      if (sentinel.dataset.loading) return;
      sentinel.dataset.loading = "1";
      const button = sentinel.querySelector("button");
      if (button) button.textContent = "loading earlier records…";
      try {
        const res = await fetch(sentinel.dataset.url, { headers: { Accept: "text/html" } });
        const text = await res.text();
        if (!res.ok) {
          let msg = `Earlier records could not be loaded (${res.status})`;
          try {
            const err = JSON.parse(text).error;
            msg = `${err.message} [${err.code}]${err.hint ? ` — ${err.hint}` : ""}`;
          } catch {}
          sentinel.textContent = msg;
          sentinel.classList.add("lr-failed");
          return;
        }
        const fromBottom = view.scrollHeight - view.scrollTop;
        sentinel.insertAdjacentHTML("afterend", text);
        io.unobserve(sentinel);
        sentinel.remove();
        view.scrollTop = view.scrollHeight - fromBottom;
        watch();
      } catch (e) {
        sentinel.textContent = `Earlier records could not be loaded: ${e.message}`;
        sentinel.classList.add("lr-failed");
      }
    };
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) if (e.isIntersecting) load(e.target);
      },
      { root: view, rootMargin: "200px 0px 0px 0px" },
    );
    const watch = () => {
      const sentinel = view.querySelector(".lr-more");
      if (!sentinel || sentinel.dataset.watched) return;
      sentinel.dataset.watched = "1";
      io.observe(sentinel);
      sentinel.querySelector("button")?.addEventListener("click", () => load(sentinel));
    };
    watch();
  }

  function setupSearch(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    const state = document.getElementById("search-state");
    const cancel = document.getElementById("search-cancel");
    const ac = new AbortController();
    let found = 0;
    const say = (t) => {
      if (state) state.textContent = t;
    };
    cancel?.addEventListener("click", () => ac.abort());
    (async () => {
      try {
        const res = await fetch(box.dataset.streamUrl, {
          signal: ac.signal,
          headers: { Accept: "text/html" },
        });
        if (!res.ok || !res.body) {
          box.insertAdjacentHTML("beforeend", await res.text());
          say("failed");
          return;
        }
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          const cut = buf.lastIndexOf("\u001e");
          if (cut === -1) continue;
          const html = buf.slice(0, cut).split("\u001e").join("");
          buf = buf.slice(cut + 1);
          box.insertAdjacentHTML("beforeend", html);
          found = box.querySelectorAll(".lr").length;
          say(`searching… ${found} found`);
        }
        const done = box.querySelector(".search-done, .search-failed");
        say(done ? done.textContent : `${found} found`);
      } catch (e) {
        if (ac.signal.aborted) say(`cancelled after ${found} result${found === 1 ? "" : "s"}`);
        else say(`failed: ${e.message}`);
      } finally {
        if (cancel) cancel.disabled = true;
      }
    })();
  }

  function init() {
    const view = document.querySelector("#log-view[data-follow-url]");
    if (view) setupFollow(view);
    else {
      const v = document.getElementById("log-view");
      if (v?.dataset.tail) v.scrollTop = v.scrollHeight;
    }
    const lines = document.getElementById("log-view");
    if (lines) setupEarlier(lines);
    const box = document.querySelector("#search-results[data-stream-url]");
    if (box) setupSearch(box);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
