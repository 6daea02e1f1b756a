// The opinion map: participants as dots in the analysis's 2-D projection, coloured by group,
// each group outlined (convex hull) and labelled. Plain SVG; a group label is a button for
// the keyboard (Tab, then Enter or Space) as well as the mouse.
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const SIZE = 400;
  const PAD = 28;

  function el(name, attributes) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    return node;
  }

  // Andrew's monotone chain: the hull of a group's dots, counter-clockwise.
  function hull(points) {
    const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (p.length < 3) return p;
    const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    const lower = [];
    for (const point of p) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], point) <= 0) lower.pop();
      lower.push(point);
    }
    const upper = [];
    for (const point of p.slice().reverse()) {
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], point) <= 0) upper.pop();
      upper.push(point);
    }
    return lower.slice(0, -1).concat(upper.slice(0, -1));
  }

  function scaler(points, extra) {
    const all = points.concat(extra);
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const minX = Math.min(...xs, -1e-6), maxX = Math.max(...xs, 1e-6);
    const minY = Math.min(...ys, -1e-6), maxY = Math.max(...ys, 1e-6);
    const span = Math.max(maxX - minX, maxY - minY);
    const inner = SIZE - 2 * PAD;
    return (p) => [
      PAD + ((p[0] - minX) / span) * inner + (inner - ((maxX - minX) / span) * inner) / 2,
      PAD + ((maxY - p[1]) / span) * inner + (inner - ((maxY - minY) / span) * inner) / 2,
    ];
  }

  // Draw `view` (the stored analysis view) into `container`, replacing what was there.
  // options: {me: {x, y, group} | null, selected: group id | null, onSelect(id), strings
  // (translated, templates/live/_strings.html), text (window.ConsultText), groupLabel(group)}
  function render(container, view, options) {
    const strings = options.strings;
    const svg = el("svg", {
      viewBox: "0 0 " + SIZE + " " + SIZE,
      role: "group",
      "aria-label": strings.mapLabel,
      class: "map-svg",
    });
    const points = view.points || [];
    const groups = view.groups || [];
    const me = options.me && options.me.x !== undefined ? [options.me.x, options.me.y] : null;
    const place = scaler(
      points.map((p) => [p[0], p[1]]),
      groups.map((g) => g.centre).concat(me ? [me] : [])
    );

    for (const group of groups) {
      const members = points.filter((p) => p[2] === group.id).map(place);
      if (members.length >= 3) {
        const outline = hull(members).map((p) => p.join(",")).join(" ");
        svg.appendChild(el("polygon", { points: outline, class: "hull group-" + (group.id % 6) }));
      }
    }
    const dots = el("g", { "aria-hidden": "true" });
    for (const point of points) {
      const [x, y] = place(point);
      const group = point[2] === null ? "none" : String(point[2] % 6);
      dots.appendChild(el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, class: "dot group-" + group }));
    }
    svg.appendChild(dots);

    for (const group of groups) {
      const [x, y] = place(group.centre);
      const label = el("g", {
        class: "group-label" + (options.selected === group.id ? " selected" : ""),
        tabindex: "0",
        role: "button",
        "data-group": String(group.id),
        "aria-pressed": options.selected === group.id ? "true" : "false",
        "aria-label": options.groupLabel(group) + ", " + options.text.plural(strings.people, group.members),
      });
      const text = el("text", { x: x.toFixed(1), y: y.toFixed(1), "text-anchor": "middle", "dominant-baseline": "middle" });
      text.textContent = group.label.replace(/^\S+\s/, "");
      const width = 16 + 9 * text.textContent.length;
      label.appendChild(el("rect", { x: (x - width / 2).toFixed(1), y: (y - 13).toFixed(1), width: width, height: 26, rx: 6, class: "group-" + (group.id % 6) }));
      label.appendChild(text);
      const choose = () => options.onSelect && options.onSelect(group.id);
      label.addEventListener("click", choose);
      label.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          choose();
        }
      });
      svg.appendChild(label);
    }

    if (me) {
      const [x, y] = place(me);
      const marker = el("g", { class: "me-marker" });
      marker.appendChild(el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 9 }));
      const text = el("text", { x: (x + 13).toFixed(1), y: (y + 5).toFixed(1) });
      text.textContent = strings.you;
      marker.appendChild(text);
      svg.appendChild(marker);
    }
    container.replaceChildren(svg);
  }

  window.ConsultMap = { render: render };
})();
