// Sortable tables: a button in a column header sorts the rows by that
// column, numbers as numbers and versions part by part (5.2.0 before
// 5.10.0); pressed again, the other way. aria-sort says which way.
"use strict";
(() => {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function value(row, column) {
    const cell = row.children[column];
    return cell.dataset.value ?? cell.dataset.key ?? cell.textContent.trim();
  }
  function wire(root) {
    for (const button of root.querySelectorAll("button.sort")) {
      button.addEventListener("click", () => {
        const th = button.closest("th");
        const table = button.closest("table");
        const column = Number(button.dataset.column);
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        for (const other of table.querySelectorAll("thead th")) other.setAttribute("aria-sort", "none");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = [...body.rows].sort((a, b) => {
          const [x, y] = [value(a, column), value(b, column)];
          const order = column === 1 ? Number(x) - Number(y) : collator.compare(x, y);
          return ascending ? order : -order;
        });
        body.append(...rows);
      });
    }
  }
  wire(document);
  document.addEventListener("pinwarden:replaced", (e) => wire(e.target));
})();
