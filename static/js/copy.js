// "Copy" buttons: <button data-copy="ID of a field" data-copy-status="ID of a status line">.
// Hidden without JavaScript, where the field's text can still be selected and copied.
(function () {
  "use strict";

  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus);
    button.hidden = false;
    button.addEventListener("click", async function () {
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = "Copied.";
      } catch (error) {
        field.select(); // no clipboard access: leave it one key press away
        status.textContent = "Press Ctrl+C (or Command+C) to copy the selected code.";
      }
    });
  }
})();
