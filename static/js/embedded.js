// The participation page inside another site's frame (consult/embedding.py): tell the host
// page its height, send the frame token with the page's own requests, and open the other
// pages (which may not be framed) in a tab of their own. Opened by itself, it does nothing.
(function () {
  "use strict";

  if (window.parent === window) return;
  const script = document.currentScript;
  const origins = (script.dataset.origins || "").split(" ").filter(Boolean);
  const token = script.dataset.token;

  // To each listed origin in turn: the browser delivers only to the one the host page has,
  // so the height never goes to a site that is not listed.
  let told = 0;
  function tellHeight() {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === told) return;
    told = height;
    for (const origin of origins) {
      window.parent.postMessage({ type: "consult:height", height: height }, origin);
    }
  }
  new ResizeObserver(tellHeight).observe(document.documentElement);
  tellHeight();

  // A third-party frame may get no cookie at all: the token stands in for the session.
  // participate.js makes its requests with fetch, so same-origin ones carry it.
  if (token) {
    const fetchWithoutToken = window.fetch.bind(window);
    window.fetch = function (resource, options) {
      const url = new URL(resource instanceof Request ? resource.url : resource, location.href);
      if (url.origin !== location.origin) return fetchWithoutToken(resource, options);
      const headers = new Headers((options && options.headers) || undefined);
      headers.set("X-Embed-Token", token);
      return fetchWithoutToken(resource, Object.assign({}, options, { headers: headers }));
    };
  }

  for (const link of document.querySelectorAll("a[href]")) {
    const url = new URL(link.href, location.href);
    if (url.origin === location.origin && url.pathname === location.pathname) continue;
    link.target = "_blank";
    link.rel = "noopener";
  }
})();
