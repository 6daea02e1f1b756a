// Progressive enhancement of the participation page: vote and add statements without a
// reload. Without JavaScript the same forms post and redirect, so everything still works.
(function () {
  "use strict";

  const voteForm = document.getElementById("vote-form");
  const statementForm = document.getElementById("statement-form");
  const messages = document.getElementById("messages");

  function say(text, kind) {
    messages.replaceChildren();
    const p = document.createElement("p");
    p.className = "message message-" + kind;
    p.textContent = text; // text, never HTML: statements come from the public
    messages.appendChild(p);
  }

  async function post(form, extra) {
    const body = new FormData(form);
    for (const [key, value] of Object.entries(extra || {})) body.set(key, value);
    const response = await fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new Error(error.message || "Something went wrong; please try again.");
    }
    return data;
  }

  function showNext(next, remaining) {
    const text = document.getElementById("statement-text");
    const progress = document.getElementById("progress");
    if (!next) {
      voteForm.hidden = true;
      progress.textContent = "You have seen every statement for now.";
      document.getElementById("all-done").hidden = false;
      document.getElementById("all-done").focus();
      return;
    }
    document.getElementById("statement-id").value = next.id;
    text.textContent = next.text;
    progress.textContent = remaining + (remaining === 1 ? " statement left" : " statements left");
    text.focus(); // screen readers read the new statement; keyboard users stay in the card
  }

  if (voteForm) {
    document.getElementById("all-done").setAttribute("tabindex", "-1");
    voteForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = event.submitter;
      const buttons = voteForm.querySelectorAll("button");
      buttons.forEach((b) => (b.disabled = true));
      try {
        const data = await post(voteForm, { vote: button ? button.value : "0" });
        messages.replaceChildren();
        const voted = document.getElementById("voted-count");
        voted.textContent = String(Number(voted.textContent) + 1);
        showNext(data.next, data.remaining);
      } catch (error) {
        say(error.message, "error");
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
  }

  if (statementForm) {
    statementForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        const data = await post(statementForm);
        statementForm.reset();
        say(data.message, "success");
      } catch (error) {
        say(error.message, "error");
      }
    });
  }
})();
