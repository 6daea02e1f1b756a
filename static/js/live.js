// The live pages: the facilitator's page, the presentation view and the citizen's "where
// you stand". Each loads the latest analysis from its JSON address, then follows the
// consultation's Socket.IO room; a page shows only the parts its template has room for.
// Updates keep the reader's place: an open group stays open, focus stays where it was.
(function () {
  "use strict";

  const root = document.getElementById("live");
  if (!root) return;
  // Sentences translated in templates/live/_strings.html; numbers formatted for the page's language.
  const Text = window.ConsultText;
  const T = Text.strings("live-strings");
  const mode = root.dataset.mode;
  const state = { tick: 0, view: null, createdAt: null, me: null, selected: null, stats: null, statsAt: 0, history: [] };

  const $ = (id) => document.getElementById(id);
  const format = Text.format;
  const percent = Text.percent;
  const interval = (pair) => (pair ? [percent(pair[0]), percent(pair[1])] : ["", ""]);

  function node(tag, text, className) {
    const element = document.createElement(tag);
    if (text !== undefined) element.textContent = text; // text, never HTML: statements are public input
    if (className) element.className = className;
    return element;
  }

  function statementsById() {
    const map = new Map();
    for (const s of (state.view && state.view.statements) || []) map.set(s.id, s);
    return map;
  }

  // A live region reads out every write, the same words included: write only changes.
  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function setStatus(text) {
    if ($("live-status")) $("live-status").textContent = text;
  }

  function renderStatus() {
    if (!state.view) return setStatus(T.waiting);
    // When the analysis ran, not when the page drew it: a stalled analysis must look stale.
    const time = Text.time(state.createdAt ? new Date(state.createdAt) : new Date());
    setStatus(format(T.updated, { time: time, tick: state.tick }));
  }

  function renderDivision() {
    const target = $("division");
    if (!target || !state.view) return;
    const view = state.view;
    if (!view.ready) {
      setText(target, format(T.notReady, {
        participants: view.needs.participants,
        votes: view.needs.votes_each,
        qualified: view.qualified,
      }));
    } else if (view.division.strength === "spectrum") {
      // One group by count, yet a division: opinions spread along an axis.
      setText(target, T.spectrum);
    } else if ((view.division.n_groups || 0) <= 1) {
      setText(target, T.noDivision);
    } else {
      // The report's sentence, translated (the analysis's own summary is English only).
      const sentence = view.division.strength === "clear" ? T.dividedClearly : T.dividedWeakly;
      setText(target, Text.plural(sentence, view.division.n_groups));
    }
  }

  function renderMap() {
    const container = $("opinion-map");
    if (!container || !state.view) return;
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-group]");
    const focusedGroup = focused && container.contains(focused) ? focused.dataset.group : null;
    window.ConsultMap.render(container, state.view, {
      me: mode === "citizen" ? state.me : null,
      selected: state.selected,
      strings: T,
      text: Text,
      groupLabel: groupLabel,
      onSelect: selectGroup,
    });
    if (focusedGroup !== null) {
      const again = container.querySelector('[data-group="' + focusedGroup + '"]');
      if (again) again.focus();
    }
    renderMapTable();
  }

  function renderMapTable() {
    const target = $("map-table");
    if (!target) return;
    const table = node("table", undefined, "data");
    table.appendChild(node("caption", T.mapTableCaption));
    const head = node("tr");
    for (const title of [T.group, T.members, T.position, T.topStatements]) head.appendChild(node("th", title));
    table.appendChild(head);
    for (const group of state.view.groups) {
      const row = node("tr");
      row.appendChild(node("td", groupLabel(group)));
      row.appendChild(node("td", Text.number(group.members)));
      row.appendChild(node("td", group.centre.map(coordinate).join(", ")));
      row.appendChild(node("td", group.representative.map((r) => r.text).join(" · ") || T.noRepresentative, "written"));
      table.appendChild(row);
    }
    // Scrolls on its own when the language's words are long (a phone in French): the page
    // does not. The box is made once, so focus on it (keyboards scroll it) outlives updates.
    let scroll = target.querySelector(".table-scroll");
    if (!scroll) {
      scroll = node("div", undefined, "table-scroll");
      scroll.tabIndex = 0;
      scroll.setAttribute("role", "group"); // named, not a landmark (one per map, and maps repeat)
      scroll.setAttribute("aria-label", T.mapTableCaption);
      target.replaceChildren(scroll);
    }
    scroll.replaceChildren(table);
  }

  function selectGroup(groupId) {
    state.selected = state.selected === groupId ? null : groupId;
    const card = document.querySelector('#group-cards details[data-group="' + groupId + '"]');
    if (card) {
      card.open = state.selected === groupId;
      if (card.open) card.scrollIntoView({ block: "nearest" });
    }
    renderMap();
  }

  function renderGroups() {
    const target = $("group-cards");
    if (!target || !state.view) return;
    const open = new Set(Array.from(target.querySelectorAll("details[open]")).map((d) => d.dataset.group));
    const focused = target.contains(document.activeElement) ? document.activeElement.closest("details") : null;
    if (state.selected !== null) open.add(String(state.selected));
    const total = state.view.groups.reduce((sum, g) => sum + g.members, 0) || 1;
    const statements = statementsById();
    const cards = state.view.groups.map((group) => {
      const card = node("details", undefined, "group-card group-border-" + (group.id % 6));
      card.dataset.group = String(group.id);
      card.open = open.has(String(group.id)) || mode === "present";
      const summary = node("summary");
      summary.appendChild(node("strong", groupLabel(group)));
      summary.appendChild(
        node("span", Text.plural(T.people, group.members) +
          " · " + format(T.shareOfAll, { share: percent(group.members / total) }))
      );
      card.appendChild(summary);
      card.addEventListener("toggle", () => {
        if (card.open) state.selected = group.id;
        else if (state.selected === group.id) state.selected = null;
      });
      const list = node("ul", undefined, "representative");
      const shown = mode === "present" ? group.representative.slice(0, 2) : group.representative;
      for (const r of shown) {
        const item = node("li", undefined, "direction-" + r.direction);
        item.appendChild(node("span", r.text, "statement"));
        const [low, high] = interval(r.interval);
        const line = format(r.direction === "agree" ? T.agreeShare : T.disagreeShare, { share: percent(r.share), low: low, high: high });
        const overall = statements.get(r.id);
        const detail = node("span", line + (overall ? "; " + format(T.everyone, { agree: percent(overall.agree), disagree: percent(overall.disagree) }) : "") + (r.significant ? "" : " " + T.notSignificant), "numbers");
        item.appendChild(detail);
        list.appendChild(item);
      }
      if (!shown.length) list.appendChild(node("li", T.noRepresentative));
      card.appendChild(node("h3", T.standsFor, "visually-hidden"));
      card.appendChild(list);
      return card;
    });
    target.replaceChildren(...cards);
    if (focused) {
      const again = target.querySelector('details[data-group="' + focused.dataset.group + '"] summary');
      if (again) again.focus();
    }
  }

  function renderList(id, ids, describe) {
    const target = $(id);
    if (!target || !state.view) return;
    const statements = statementsById();
    const items = (ids || []).map((sid) => statements.get(sid)).filter(Boolean).map((s) => {
      const item = node("li");
      item.appendChild(node("span", s.text, "statement"));
      item.appendChild(node("span", describe(s), "numbers"));
      return item;
    });
    if (!items.length) items.push(node("li", T.none, "muted"));
    target.replaceChildren(...(mode === "present" ? items.slice(0, 3) : items));
  }

  function overall(s) {
    return Text.plural(T.overall, s.n_seen, { agree: percent(s.agree), disagree: percent(s.disagree), pass: percent(s.pass) });
  }

  function renderLists() {
    if (!state.view) return;
    renderList("consensus-agree", state.view.consensus.agree, overall);
    renderList("consensus-disagree", state.view.consensus.disagree, overall);
    renderList("informed-consensus", state.view.informed_consensus, overall);
    renderList("bridging", state.view.bridging, overall);
    renderList("divisive", state.view.divisive, (s) =>
      s.groups.map((g) => groupName(g.group) + ": " + agreeing(g.agree)).join(" · "));
    renderList("uncertain", state.view.uncertain, overall);
  }

  function groupName(groupId) {
    const group = state.view.groups.find((g) => g.id === groupId);
    return group ? groupLabel(group) : T.group + " " + groupId;
  }

  // The view names a group "Group A"; the letter is kept, the word translated.
  function groupLabel(group) {
    return format(T.groupName, { letter: group.label.replace(/^\S+\s/, "") });
  }

  const agreeing = (share) => format(T.agreeing, { share: percent(share) });
  const coordinate = (value) =>
    value.toLocaleString(Text.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, numberingSystem: "latn" });

  function renderGroupVotes() {
    const target = $("group-votes");
    if (!target || !state.view) return;
    const table = node("table", undefined, "data group-votes");
    const head = node("tr");
    head.appendChild(node("th", T.statement));
    head.appendChild(node("th", T.allVoters));
    for (const group of state.view.groups) head.appendChild(node("th", groupLabel(group)));
    table.appendChild(head);
    const fewest = Number(target.dataset.minVotes || 1);
    const share = (numbers) =>
      !numbers || !numbers.n_seen ? "–" : numbers.n_seen < fewest ? T.tooFewVotes : agreeing(numbers.agree);
    for (const s of state.view.statements) {
      const row = node("tr");
      row.appendChild(node("td", s.text, "written"));
      row.appendChild(node("td", share(s)));
      for (const group of state.view.groups) {
        row.appendChild(node("td", share(s.groups.find((g) => g.group === group.id))));
      }
      table.appendChild(row);
    }
    target.replaceChildren(table);
  }

  function renderMe() {
    const target = $("me");
    if (!target || !state.view || !state.view.ready) return;
    if (!state.me) return setText(target, T.youNotYet);
    const group = state.view.groups.find((g) => g.id === state.me.group);
    setText(target, group
      ? Text.plural(T.youAreIn, group.members - 1, { group: groupLabel(group) })
      : T.youUngrouped);
  }

  function renderStats() {
    const stats = state.stats;
    if (!stats) return;
    const set = (id, value) => $(id) && ($(id).textContent = Text.number(value));
    set("count-participants", stats.participants);
    set("count-votes", stats.votes);
    set("count-statements", stats.statements);
    set("count-rate", stats.votes_last_minute);
    set("moderation-count", stats.waiting_for_moderation);
    if ($("closed-notice") && "is_open" in stats) $("closed-notice").hidden = stats.is_open;
    if ($("simulated-note") && stats.simulated_participants) {
      $("simulated-note").hidden = false;
      $("simulated-note").textContent = Text.plural(T.simulated, stats.simulated_participants);
    }
    renderChart();
  }

  // Votes over time, from the stored analyses' summaries and the live stats since.
  function renderChart() {
    const target = $("activity-chart");
    if (!target) return;
    const points = state.history.map((h) => [Date.parse(h.at), h.votes]);
    if (state.stats) points.push([Date.now(), state.stats.votes]);
    const width = 400, height = 80;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", format(T.chartLabel, { votes: state.stats ? state.stats.votes : 0, participants: state.stats ? state.stats.participants : 0 }));
    if (points.length >= 2) {
      const t0 = points[0][0], t1 = points[points.length - 1][0] || t0 + 1;
      const vMax = Math.max(...points.map((p) => p[1]), 1);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("points", points.map((p) => [
        (4 + ((p[0] - t0) / Math.max(t1 - t0, 1)) * (width - 8)).toFixed(1),
        (height - 4 - (p[1] / vMax) * (height - 8)).toFixed(1),
      ].join(",")).join(" "));
      line.setAttribute("class", "chart-line");
      svg.appendChild(line);
    }
    target.replaceChildren(svg);
  }

  function apply(body) {
    if (body.view && body.tick >= state.tick) {
      state.tick = body.tick;
      state.view = body.view;
      state.createdAt = body.created_at || null;
    }
    if ("me" in body) state.me = body.me;
    if (body.stats) {
      state.stats = body.stats;
      state.statsAt = Date.now();
    }
    if (body.history) state.history = body.history;
    render();
  }

  function render() {
    renderStatus();
    renderDivision();
    renderMap();
    renderGroups();
    renderLists();
    renderGroupVotes();
    renderMe();
    renderStats();
  }

  async function load() {
    try {
      const response = await fetch(root.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) apply(await response.json());
    } catch (error) {
      setStatus(T.disconnected);
    }
  }

  function follow() {
    if (!window.io) return;
    const socket = window.io({ transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("join", { conversation_id: root.dataset.conversation }, (answer) => {
        if (!answer || !answer.ok) return setStatus(T.refused);
        load(); // whatever happened while the connection was down
      });
    });
    socket.on("disconnect", () => setStatus(T.disconnected));
    socket.on("analysis", (payload) => {
      if (payload.conversation_id !== root.dataset.conversation || payload.tick <= state.tick) return;
      if (mode === "citizen") return load(); // the citizen's own position comes with the page's data
      state.history.push({ tick: payload.tick, at: payload.created_at || new Date().toISOString(), votes: (state.stats || {}).votes || 0, participants: (state.stats || {}).participants || 0 });
      apply({ tick: payload.tick, view: payload.view, created_at: payload.created_at });
    });
    socket.on("stats", (stats) => {
      if (stats.conversation_id !== root.dataset.conversation) return;
      state.stats = stats;
      state.statsAt = Date.now();
      renderStats();
    });
  }

  // Stats come with votes: when none come, "votes in the last minute" would stand still at
  // its last value. Asked again once they are a minute old, while the page is looked at.
  const STATS_STALE_MS = 60000;
  setInterval(() => {
    if (!document.hidden && state.statsAt && Date.now() - state.statsAt >= STATS_STALE_MS) load();
  }, STATS_STALE_MS / 4);

  load().then(follow);
})();
