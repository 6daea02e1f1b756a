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

  selectAll();
})();
