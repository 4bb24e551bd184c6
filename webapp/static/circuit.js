/* Circuit's only script: focus on a form's errors, characters left, the total size of files.
   Everything works without it; it only tells earlier what the server would say. */
(function () {
  "use strict";

  function withDe(n) {
    var rest = Math.abs(n) % 100;
    return rest >= 20 || (rest === 0 && n !== 0) ? "de " : "";
  }

  function count(n, singular, plural) {
    if (n === 1) { return "1 " + singular; }
    return n.toLocaleString("ro-RO") + " " + withDe(n) + plural;
  }

  function focusErrors() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
      summary.focus();
    }
  }

  function charactersLeft() {
    document.querySelectorAll("[data-chars-left]").forEach(function (out) {
      var box = document.getElementById(out.getAttribute("data-chars-left"));
      if (!box) { return; }
      var max = parseInt(box.getAttribute("maxlength"), 10);
      var update = function () {
        var left = max - box.value.length;
        if (box.value.length === 0) { out.textContent = ""; return; }
        out.textContent = left === 0
          ? "Ați ajuns la limita de " + count(max, "caracter", "caractere") + "."
          : "Mai puteți scrie " + count(left, "caracter", "caractere") + ".";
      };
      box.addEventListener("input", update);
      update();
    });
  }

  function totalSize() {
    document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
      var max = parseInt(form.getAttribute("data-max-bytes"), 10);
      var out = form.querySelector(".upload-total");
      if (!out) { return; }
      var mb = function (n) { return (n / 1048576).toFixed(1).replace(".", ",") + " MB"; };
      var chosen = function () {
        var sum = 0;
        form.querySelectorAll("input[type=file]").forEach(function (input) {
          Array.prototype.forEach.call(input.files || [], function (f) { sum += f.size; });
        });
        return sum;
      };
      var say = function () {
        var sum = chosen();
        var over = sum > max;
        out.classList.toggle("field-error", over);
        out.textContent = over
          ? "Fișierele alese au împreună " + mb(sum) + ", peste limita de " + mb(max) +
            " pe trimitere: alegeți fișiere mai mici sau mai puține."
          : "Fișierele alese au împreună " + mb(sum) + " din " + mb(max) + " permiși.";
        return over;
      };
      form.addEventListener("change", function (event) {
        if (event.target.type === "file") { say(); }
      });
      form.addEventListener("submit", function (event) {
        if (say()) {  // the server would refuse the whole submission: say so before sending
          event.preventDefault();
          out.setAttribute("tabindex", "-1");
          out.focus();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors();
    charactersLeft();
    totalSize();
  });
})();
