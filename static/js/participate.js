// Progressive enhancement of the participation page: vote and add statements without a
// reload. Without JavaScript the same forms post and redirect, so everything still works.
(function () {
  "use strict";

  const voteForm = document.getElementById("vote-form");
  const statementForm = document.getElementById("statement-form");
  // Messages go beside what they answer, where the person is looking (not the page's top).
  const voteStatus = document.getElementById("vote-status");
  const statementStatus = document.getElementById("statement-status");
  // Every sentence shown comes translated from templates/participation/_strings.html.
  const Text = window.ConsultText;
  const T = Text.strings("participate-strings");
  const VOTE_LABELS = { 1: T.agree, "-1": T.disagree, 0: T.pass };

  function newRequestKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // unlike randomUUID, also on plain http
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function say(region, text, kind) {
    if (!region) return;
    const p = document.createElement("p");
    p.className = "message message-" + kind;
    p.textContent = text; // text, never HTML: statements come from the public
    region.replaceChildren(p);
    p.scrollIntoView({ block: "nearest" }); // on a phone the button pressed may be at the edge
  }

  // What the person reads when no answer came back (never the browser's "Failed to fetch").
  const LOST_VOTE = T.lostVote;
  const LOST_STATEMENT = T.lostStatement;
  const FAILED = T.failed;

  async function send(form, extra) {
    const body = new FormData(form);
    for (const [key, value] of Object.entries(extra || {})) body.set(key, value);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (error) {
      const lost = new Error(error.message);
      lost.lost = true; // no answer came back: offline, or the connection dropped
      throw lost;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      const failure = new Error(error.message || FAILED); // a proxy's page has no message
      failure.detail = error; // code, and for similar_statement the similar statements
      throw failure;
    }
    return data;
  }

  function renewToken(token) {
    document.querySelectorAll('input[name="csrf_token"]').forEach((input) => (input.value = token));
    document.querySelector('meta[name="csrf-token"]').content = token;
  }

  // An expired session answers with a new token: send once more with it, so the person
  // does not have to reload (and lose what they wrote).
  async function post(form, extra) {
    try {
      return await send(form, extra);
    } catch (error) {
      if (!(error.detail && error.detail.code === "session_expired" && error.detail.csrf_token)) {
        throw error;
      }
      renewToken(error.detail.csrf_token);
      return await send(form, extra);
    }
  }

  // The count of this person's votes: written by the server as a bare number, and carried by
  // every answer to a vote (a change of mind, or a statement already voted on, adds none).
  const votedCounter = document.getElementById("voted-count");

  function showVoted(count) {
    if (votedCounter) votedCounter.textContent = Text.number(count);
  }

  function showProgress(remaining) {
    document.getElementById("progress").textContent = Text.plural(T.statementsLeft, remaining);
  }

  // focus: false when the person is busy elsewhere on the page (writing a statement).
  function showNext(next, remaining, focus = true) {
    const text = document.getElementById("statement-text");
    const progress = document.getElementById("progress");
    const allDone = document.getElementById("all-done");
    if (!next) {
      voteForm.hidden = true;
      progress.textContent = T.allSeen;
      allDone.hidden = false;
      allDone.focus();
      watchForNewStatements();
      return;
    }
    voteForm.hidden = false;
    allDone.hidden = true;
    document.getElementById("statement-id").value = next.id;
    text.textContent = next.text;
    showProgress(remaining);
    if (focus) text.focus(); // screen readers read the new statement; keyboard users stay in the card
  }

  // After the person added a statement: offer what others added meanwhile (never their own,
  // which counts as their agreement).
  function offerNew(next, remaining) {
    if (!voteForm || !next) return;
    if (!voteForm.hidden) {
      showProgress(remaining); // the card keeps its statement; only the count changes
      return;
    }
    stopWatching();
    say(voteStatus, T.newStatements, "success");
    // The card appears above the form: scroll by as much, so the form and its message stay
    // where the person is looking.
    const before = statementForm.getBoundingClientRect().top;
    showNext(next, remaining, false);
    window.scrollBy(0, statementForm.getBoundingClientRect().top - before);
  }

  // Once every statement is seen, ask now and then whether others have added new ones.
  const NEW_STATEMENTS_EVERY_MS = 10000;
  let watching = null;

  function watchForNewStatements() {
    if (watching || !voteForm || !voteForm.dataset.nextUrl) return;
    watching = setInterval(async function () {
      if (document.hidden) return;
      try {
        const response = await fetch(voteForm.dataset.nextUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = response.ok ? await response.json() : {};
        if (data.next) {
          stopWatching();
          say(voteStatus, T.newStatements, "success");
          showNext(data.next, data.remaining);
        }
      } catch (error) {
        // Offline for a moment: the next try will tell.
      }
    }, NEW_STATEMENTS_EVERY_MS);
  }

  function stopWatching() {
    clearInterval(watching);
    watching = null;
  }

  // After the Nth vote the answer brings the questions about who took part, as HTML the
  // server rendered (and escaped); the form then posts and comes back like any other form.
  // focus: false when the person is busy elsewhere on the page (writing a statement).
  function questionsAreNew(html) {
    const slot = document.getElementById("questions-slot");
    return Boolean(html && slot && !slot.firstElementChild);
  }

  function showQuestions(html, focus = true) {
    if (!questionsAreNew(html)) return;
    const slot = document.getElementById("questions-slot");
    slot.innerHTML = html;
    const heading = document.getElementById("questions-heading");
    if (heading && focus) heading.focus();
  }

  if (voteForm) {
    document.getElementById("all-done").setAttribute("tabindex", "-1");
    if (voteForm.hidden) watchForNewStatements();
    voteForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = event.submitter;
      const buttons = voteForm.querySelectorAll("button");
      buttons.forEach((b) => (b.disabled = true));
      try {
        // One key per vote: if the answer is lost and the vote is sent again, the server
        // finds the vote it stored under this key instead of counting it twice.
        const extra = { vote: button ? button.value : "0", request_key: newRequestKey() };
        let data;
        try {
          data = await post(voteForm, extra);
        } catch (error) {
          if (!error.lost) throw error; // only when no answer came back
          await new Promise((resolve) => setTimeout(resolve, 1500));
          data = await post(voteForm, extra);
        }
        say(voteStatus, Text.format(T.voteRecorded, { choice: VOTE_LABELS[extra.vote] }), "success");
        showVoted(data.voted_count);
        // Focus goes to the questions the one time they appear, else to the next statement
        // (every later answer carries them too, until answered or skipped).
        showNext(data.next, data.remaining, !questionsAreNew(data.questions));
        showQuestions(data.questions);
      } catch (error) {
        say(voteStatus, error.lost ? LOST_VOTE : error.message, "error");
        // Withdrawn while it was on screen: the answer carries the next statement.
        if (error.detail && error.detail.code === "statement_withdrawn") {
          showNext(error.detail.next, error.detail.remaining);
        }
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
  }

  const similar = document.getElementById("similar");
  const addAnyway = document.getElementById("add-anyway");

  function voteButton(value, label, className) {
    const button = document.createElement("button");
    button.type = "submit";
    button.name = "vote";
    button.value = value;
    button.className = className;
    button.textContent = label;
    return button;
  }

  // The same markup the server renders without JavaScript (templates/participation/conversation.html).
  function similarItem(statement) {
    const form = document.createElement("form");
    form.method = "post";
    form.className = "similar-vote";
    form.action = similar.dataset.voteUrl;
    for (const [name, value] of [
      ["csrf_token", statementForm.elements.csrf_token.value],
      ["statement_id", String(statement.id)],
      ["return_to", "similar"],
      ["request_key", newRequestKey()],
    ]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    const fieldset = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = statement.text; // text, never HTML
    const buttons = document.createElement("div");
    buttons.className = "vote-buttons";
    buttons.append(
      voteButton("1", T.agree, "vote-agree"),
      voteButton("-1", T.disagree, "vote-disagree"),
      voteButton("0", T.passUnsure, "vote-pass")
    );
    fieldset.append(legend, buttons);
    form.appendChild(fieldset);
    const item = document.createElement("li");
    item.appendChild(form);
    return item;
  }

  function showSimilar(statements) {
    document.getElementById("similar-list").replaceChildren(...statements.map(similarItem));
    similar.hidden = false;
    addAnyway.hidden = false;
    document.getElementById("similar-intro").focus(); // read out before the choices
  }

  function hideSimilar() {
    if (!similar) return;
    similar.hidden = true;
    addAnyway.hidden = true;
    document.getElementById("similar-list").replaceChildren();
  }

  if (similar) {
    similar.addEventListener("submit", async function (event) {
      event.preventDefault();
      const form = event.target;
      try {
        const data = await post(form, { vote: event.submitter ? event.submitter.value : "0" });
        // The person's own text stays, with "Add mine anyway": one who voted against the
        // offer may still mean to add theirs. Only the offer just voted on goes.
        const item = form.closest("li");
        const following = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        if (!following) similar.hidden = true;
        say(statementStatus, T.voteCounted, "success");
        showVoted(data.voted_count);
        const shown = document.getElementById("statement-id");
        if (voteForm && shown && shown.value === String(data.voted)) {
          // The card showed the statement just voted on; focus stays by the person's text.
          showNext(data.next, data.remaining, false);
        }
        showQuestions(data.questions, false);
        (following ? following.querySelector("button") : addAnyway).focus();
      } catch (error) {
        say(statementStatus, error.lost ? LOST_VOTE : error.message, "error");
      }
    });
  }

  // "Your votes": a vote changed in place, so the person keeps their place and focus (the
  // button pressed). Without JavaScript the page comes back at the same statement.
  const history = document.querySelector(".vote-history");
  if (history) {
    history.addEventListener("submit", async function (event) {
      event.preventDefault();
      const form = event.target;
      const button = event.submitter;
      const value = button ? button.value : "0";
      const status = form.closest("li").querySelector('[role="status"]');
      try {
        await post(form, { vote: value, request_key: newRequestKey() });
        form.querySelectorAll('button[name="vote"]').forEach((b) => {
          b.setAttribute("aria-pressed", String(b === button));
        });
        form.querySelector(".current-vote strong").textContent = VOTE_LABELS[value];
        say(status, T.voteChanged, "success");
      } catch (error) {
        say(status, error.lost ? LOST_VOTE : error.message, "error");
      }
    });
  }

  // The count as the server makes it: characters (code points), not UTF-16 units as
  // maxlength would, so an emoji counts once.
  function showCount() {
    const box = document.getElementById("statement-input");
    const counter = document.getElementById("statement-count");
    const max = Number(box.dataset.maxLength);
    const length = Array.from(box.value).length;
    const over = length > max;
    const numbers = { count: length, limit: max, over: length - max };
    counter.textContent = Text.format(over ? T.tooManyCharacters : T.characters, numbers);
    counter.classList.toggle("counter-over", over);
    if (over) box.setAttribute("aria-invalid", "true");
    else box.removeAttribute("aria-invalid");
  }

  if (statementForm) {
    const box = document.getElementById("statement-input");
    box.addEventListener("input", showCount);
    statementForm.addEventListener("reset", () => setTimeout(showCount)); // after the reset
    showCount();
    statementForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      // FormData leaves out the button that was pressed; "Add mine anyway" must say so.
      const anyway = event.submitter && event.submitter.name === "add_anyway";
      try {
        const data = await post(statementForm, anyway ? { add_anyway: "1" } : {});
        statementForm.reset();
        hideSimilar();
        say(statementStatus, data.message, "success");
        showVoted(data.voted);
        offerNew(data.next, data.remaining);
        showQuestions(data.questions, false); // writing one counts as a vote too
      } catch (error) {
        if (error.detail && error.detail.code === "similar_statement") {
          statementStatus.replaceChildren();
          showSimilar(error.detail.similar);
        } else {
          // The text stays in the box, to send again or change.
          say(statementStatus, error.lost ? LOST_STATEMENT : error.message, "error");
        }
      }
    });
  }
})();
