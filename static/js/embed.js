// Embeds a Consult consultation in another site's page. The snippet from the facilitator's
// page is a placeholder, <div data-consult-embed="https://consult.example/c/ID">, with a
// plain link inside (what readers without JavaScript get), and this script from the same
// Consult site. The script puts a frame in place of the link and sizes it to its content
// as the frame tells it (static/js/embedded.js).
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script) return; // not loaded by a <script src> tag: no way to know our origin
  const consult = new URL(script.src).origin;
  const DEFAULT_HEIGHT = 600;
  const MAX_HEIGHT = 20000;
  const frames = [];

  for (const holder of document.querySelectorAll("[data-consult-embed]")) {
    let url;
    try {
      url = new URL(holder.getAttribute("data-consult-embed"), location.href);
    } catch (error) {
      continue;
    }
    if (url.origin !== consult || holder.querySelector("iframe")) continue; // ours, once
    const frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = holder.textContent.trim() || "Consultation";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = DEFAULT_HEIGHT + "px";
    holder.replaceChildren(frame);
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== consult) return; // only the Consult site may size its frames
    const frame = frames.find((each) => each.contentWindow === event.source);
    const data = event.data;
    if (!frame || !data || data.type !== "consult:height") return;
    if (typeof data.height !== "number" || !Number.isFinite(data.height)) return;
    frame.style.height = Math.min(Math.max(Math.ceil(data.height), 1), MAX_HEIGHT) + "px";
  });
})();
