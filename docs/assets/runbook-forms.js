/* The parameter form of each snippet block (generated from the snippet's header at build time,
 * tools/runbook/site/blocks.py). Values are checked as they are typed, as the runner checks them
 * (runbook.snippets.catalog.Param.check: trimmed, a list split on commas, each item matched in
 * full by the header's pattern, then its type); the block's first lines are rewritten to set them
 * (`\set name 'value'` for psql, `NAME=value` for bash, quoted as each reads them), and Material's
 * copy button copies exactly what the block shows. While a value is missing or invalid, copying
 * is disabled and the form says why. Values in the page's URL (?barcode=...) fill the form.
 */
(function () {
  "use strict";

  function psqlSet(name, value) {
    return "\\set " + name + " '" + value.replace(/\\/g, "\\\\").replace(/'/g, "''") + "'";
  }

  function shellQuote(value) {
    if (value === "") return "''";
    if (!/[^\w@%+=:,./-]/.test(value)) return value;  // shlex.quote's safe set (ASCII \w)
    return "'" + value.replace(/'/g, "'\"'\"'") + "'";
  }

  /* Python's date.fromisoformat, as every supported Python reads it: YYYY-MM-DD, a real day. */
  function isDate(item) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(item);
    if (!m) return false;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return +m[1] >= 1 && d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
  }

  var TYPES = {
    integer: function (v) { return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(v); },
    date: isDate,
    uuid: function (v) {
      var hex = v.split("urn:").join("").split("uuid:").join("").replace(/^\{+|\}+$/g, "").replace(/-/g, "");
      return /^[0-9a-fA-F]{32}$/.test(hex);
    },
    identifier: function (v) { return /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(v); },
    text: function () { return true; },
  };

  /* {value, problem}: the value as the runner would bind it, or why it would refuse it. */
  function check(input) {
    var name = input.name;
    var raw = input.value;
    var value = raw.trim();
    var list = input.dataset.list === "true";
    if (!value) {
      return { value: "", problem: input.dataset.required === "true" ? name + " is missing" : name + " is empty" };
    }
    if (/[\r\n\0]/.test(value)) return { value: value, problem: name + ": one line only" };
    var items = list ? value.split(",").map(function (s) { return s.trim(); }) : [value];
    if (items.some(function (s) { return !s; })) return { value: value, problem: name + " has an empty item" };
    var re = input.dataset.pattern ? new RegExp(input.dataset.pattern, input.dataset.flags) : null;
    var type = TYPES[input.dataset.type] || TYPES.text;
    for (var i = 0; i < items.length; i++) {
      if (re && !re.test(items[i])) {
        return { value: value, problem: name + ": " + JSON.stringify(items[i]) + " does not match " + input.dataset.pythonPattern };
      }
      if (!type(items[i])) {
        return { value: value, problem: name + ": " + JSON.stringify(items[i]) + " is not a valid " + input.dataset.type };
      }
    }
    return { value: list ? items.join(",") : value, problem: null };
  }

  /* Replace the first `count` lines of the code element with `text` lines. */
  function replaceLines(code, count, newLines) {
    var text = newLines.join("\n") + "\n";
    if (code.firstChild && code.firstChild.className === "runbook-set") {
      code.firstChild.textContent = text;
      return;
    }
    var walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    var seen = 0, node, cut = null;
    while ((node = walker.nextNode())) {
      var at = -1;
      while (seen < count && (at = node.data.indexOf("\n", at + 1)) >= 0) {
        seen += 1;
        if (seen === count) { cut = { node: node, offset: at + 1 }; break; }
      }
      if (cut) break;
    }
    var range = document.createRange();
    range.setStart(code, 0);
    if (cut) range.setEnd(cut.node, cut.offset); else range.setEnd(code, code.childNodes.length);
    range.deleteContents();
    var span = document.createElement("span");
    span.className = "runbook-set";
    span.textContent = text;
    code.insertBefore(span, code.firstChild);
  }

  function update(block) {
    var meta = JSON.parse(block.dataset.runbookSnippet);
    var form = block.querySelector("form.runbook-form");
    var code = block.querySelector("pre code");
    if (!form || !code) return;
    var problems = [];
    var lines = meta.kind === "sql" ? ["\\set ON_ERROR_STOP on"] : [];
    form.querySelectorAll("input[name]").forEach(function (input) {
      var result = check(input);
      var field = input.closest(".runbook-form__field");
      var say = field.querySelector(".runbook-form__problem");
      var shown = result.problem ? input.value : result.value;
      input.setAttribute("aria-invalid", result.problem ? "true" : "false");
      say.textContent = result.problem && input.value ? result.problem : "";
      if (result.problem) problems.push(result.problem);
      lines.push(meta.kind === "sql" ? psqlSet(input.name, shown) : input.name + "=" + shellQuote(shown));
    });
    if (code.dataset.runbookPreamble !== lines.join("\n")) {
      replaceLines(code, meta.preamble, lines);
      code.dataset.runbookPreamble = lines.join("\n");
    }
    block.classList.toggle("runbook-snippet--invalid", problems.length > 0);
    block.dataset.problem = problems.join("; ");
    var status = form.querySelector(".runbook-form__status");
    status.textContent = problems.length
      ? "Copy is disabled until every value is valid: " + problems.join("; ") + "."
      : "Ready: the copy button copies the block as shown" + (meta.effect === "write" ? " (it keeps nothing until you type commit;)." : ".");
    syncButton(block);
  }

  function syncButton(block) {
    var button = block.querySelector("[data-clipboard-target]");
    if (!button) return;
    var invalid = block.classList.contains("runbook-snippet--invalid");
    button.disabled = invalid;
    button.title = invalid ? "Fill in the form first: " + block.dataset.problem : "Copy to clipboard";
  }

  /* A click on a disabled copy button (or one Material added after the last update) copies nothing. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".runbook-snippet--invalid [data-clipboard-target]");
    if (!button) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    syncButton(button.closest(".runbook-snippet"));
  }, true);

  function setup() {
    var params = new URLSearchParams(location.search);
    var filled = null;
    document.querySelectorAll("[data-runbook-snippet]").forEach(function (block) {
      var form = block.querySelector("form.runbook-form");
      if (form && !form.dataset.ready) {
        form.dataset.ready = "1";
        form.hidden = false;
        form.addEventListener("submit", function (e) { e.preventDefault(); });
        form.querySelectorAll("input[name]").forEach(function (input) {
          if (params.has(input.name)) {
            input.value = params.get(input.name);
            filled = filled || block;
          }
          input.addEventListener("input", function () { update(block); });
        });
      }
      update(block);
      // Material adds the copy button after this runs on a first load
      if (!block.querySelector("[data-clipboard-target]")) {
        var observer = new MutationObserver(function () {
          if (block.querySelector("[data-clipboard-target]")) { observer.disconnect(); syncButton(block); }
        });
        observer.observe(block, { childList: true, subtree: true });
      }
    });
    // arriving from a known error with its values: show the first form they filled
    if (filled && !location.hash) filled.scrollIntoView({ block: "start" });
  }

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setup);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }

  window.runbookForms = { check: check, psqlSet: psqlSet, shellQuote: shellQuote, update: update };
})();
