// The RACI grid: exactly one Accountable party per activity. Ticking a second A is refused at
// once and the reason said (the server applies the same rule when the draft is saved).
(function () {
  "use strict";
  var grid = document.getElementById("raci-grid");
  if (!grid) return;
  var alertBox = document.getElementById("raci-alert");
  var wording = document.getElementById("raci-refusal").innerHTML;

  function partyOf(box) {
    // "Activity · party · role": the middle part names the party.
    var parts = box.getAttribute("aria-label").split(" · ");
    return parts.length === 3 ? parts[1] : "";
  }

  grid.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type !== "checkbox" || box.value !== "A" || !box.checked) return;
    var row = box.closest("tr");
    var others = Array.prototype.filter.call(
      row.querySelectorAll('input[type="checkbox"][value="A"]'),
      function (other) { return other !== box && other.checked; }
    );
    if (others.length === 0) {
      alertBox.classList.add("is-hidden");
      alertBox.textContent = "";
      return;
    }
    box.checked = false;
    var text = document.createElement("textarea");
    text.innerHTML = wording;  // the template's entities, decoded
    alertBox.textContent = text.value
      .replace("{activity}", row.getAttribute("data-label"))
      .replace("{party}", partyOf(others[0]));
    alertBox.classList.remove("is-hidden");
  });
})();
