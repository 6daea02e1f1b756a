// Conveniences on the facilitator's pages. Each page works without this script: the forms
// post as they are, and the server understands "select all" on its own.
(function () {
  "use strict";

  // The page's words (templates/facilitation/_strings.html), English if it has none.
  const strings = Object.assign(
    {
      copied: "Copied",
      copyByHand: "The text is selected: copy it with Ctrl+C (⌘C on a Mac).",
    },
    readStrings(),
  );

  function readStrings() {
    const holder = document.getElementById("facilitate-strings");
    try {
      return holder ? JSON.parse(holder.dataset.strings) : {};
    } catch (error) {
      return {};
    }
  }

  // Moderation: "Select all" ticks every row, and follows the rows when they change.
  function selectAll() {
    const all = document.getElementById("select-all");
    if (!all) return;
    const rows = Array.from(document.querySelectorAll('input[name="statement_ids"]'));
    function follow() {
      const ticked = rows.filter((row) => row.checked).length;
      all.checked = ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    all.addEventListener("change", () => {
      rows.forEach((row) => { row.checked = all.checked; });
    });
    rows.forEach((row) => row.addEventListener("change", follow));
  }

  // Copy buttons (<button data-copy="field id" data-copy-status="status id">), for the
  // participants' link and the embed code: the whole text is selected when its box is
  // focused, and the button (hidden without the Clipboard API, which needs a secure
  // context) copies it and says so, visibly and to screen readers (the status is live).
  function copyButtons() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      const field = document.getElementById(button.dataset.copy);
      const status = document.getElementById(button.dataset.copyStatus);
      if (!field || !status) continue;
      field.addEventListener("focus", () => field.select());
      if (!navigator.clipboard || !window.isSecureContext) continue;
      button.hidden = false;
      button.addEventListener("click", async () => {
        status.textContent = "";
        try {
          await navigator.clipboard.writeText(field.value);
          status.textContent = strings.copied;
        } catch (error) {
          field.focus();
          status.textContent = strings.copyByHand;
        }
      });
    }
  }

  selectAll();
  copyButtons();
})();
