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
