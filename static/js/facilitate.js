// Conveniences on the facilitator's pages. Each page works without this script: the forms
// post as they are, and the server understands "select all" on its own.
(function () {
  "use strict";

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

  // The participants' link: the whole link is selected when the box is focused, and the
  // Copy button (hidden without the Clipboard API, which needs a secure context) copies it
  // and says so, visibly and to screen readers (the status region is aria-live).
  function copyButton() {
    const button = document.getElementById("copy-link");
    const status = document.getElementById("copy-status");
    if (!button || !status) return;
    const field = document.getElementById(button.dataset.copy);
    field.addEventListener("focus", () => field.select());
    if (!navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      status.textContent = "";
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = "Copied";
      } catch (error) {
        field.focus();
        status.textContent = "The link is selected: copy it with Ctrl+C (⌘C on a Mac).";
      }
    });
  }

  selectAll();
  copyButton();
})();
