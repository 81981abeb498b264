/* Triage in the browser: the same patterns as `runbook triage`, from the pattern file the site
 * build writes (tools/runbook/site/patterns.py), matched against what is typed or pasted into the
 * search box (known problems listed above Material's results) and into the home page's paste box
 * (each problem with its count, as `runbook triage` reports it). A match links to its page with
 * the values found in the URL (?barcode=...), which fills the page's parameter form.
 *
 * The engine mirrors runbook.triage (first pattern in page order wins; a context line lends its
 * values to the nearest problem line of the same process within the window); the browser tests
 * compare the two over the whole catalogue of known messages. No framework, no outside request;
 * works with Material's instant navigation.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ASSETS = new URL(".", script ? script.src : location.href);
  var SITE = new URL("..", ASSETS);
  var loading = null;

  function load() {
    if (!loading) {
      loading = fetch(new URL("runbook-patterns.json", ASSETS).href)
        .then(function (r) {
          if (!r.ok) throw new Error("runbook-patterns.json: HTTP " + r.status);
          return r.json();
        })
        .then(compile);
    }
    return loading;
  }

  function compile(data) {
    var patterns = data.patterns.map(function (p) {
      return Object.assign({}, p, { re: new RegExp(p.source, p.flags) });
    });
    // V8 compiles a regular expression on its first use: do it now, not on the operator's keystroke
    patterns.forEach(function (p) { p.re.exec(""); });
    return {
      data: data,
      patterns: patterns,
      process: new RegExp(data.process.source, data.process.flags),
      timestamp: new RegExp(data.timestamp.source, data.timestamp.flags),
    };
  }

  function groupsOf(match) {
    var out = {};
    var g = match.groups || {};
    Object.keys(g).forEach(function (k) {
      if (g[k] !== undefined) out[k] = g[k];
    });
    return out;
  }

  /* The first pattern (in page order, errors before context lines) that matches the line. */
  function matchLine(engine, line) {
    for (var i = 0; i < engine.patterns.length; i++) {
      var m = engine.patterns[i].re.exec(line);
      if (m) return { entry: engine.patterns[i], index: i, match: m };
    }
    return null;
  }

  function classify(engine, line) {
    var found = matchLine(engine, line);
    if (!found || found.entry.kind !== "error") return null;
    return { page: found.entry.page, values: groupsOf(found.match) };
  }

  function lines(text) {
    var parts = text.split("\n");
    if (parts.length && parts[parts.length - 1] === "") parts.pop();
    return parts.map(function (l) { return l.replace(/\r+$/, ""); });
  }

  function processOf(engine, line) {
    var m = engine.process.exec(line.slice(0, engine.data.process.within));
    return m ? m[0] : null;
  }

  /* Which context values each problem hit takes, and which context hits were taken
   * (runbook.triage.pages.Triage._lend_context, for one input). */
  function lendContext(engine, hits) {
    var byContext = new Map();
    hits.forEach(function (hit, index) {
      if (hit.entry.kind !== "context") return;
      if (!byContext.has(hit.entry)) byContext.set(hit.entry, { linenos: [], indexes: [] });
      var c = byContext.get(hit.entry);
      c.linenos.push(hit.lineno);
      c.indexes.push(index);
    });
    var lent = new Map();
    var taken = new Set();
    if (!byContext.size) return { lent: lent, taken: taken };
    var windowSize = engine.data.context_window;
    hits.forEach(function (hit, index) {
      if (hit.entry.kind === "context") return;
      engine.patterns.forEach(function (ctx) {
        if (ctx.kind !== "context" || ctx.pages.indexOf(hit.entry.page) < 0 || !byContext.has(ctx)) return;
        var c = byContext.get(ctx);
        var proc = processOf(engine, hit.line);
        var best = null;
        var at = bisectLeft(c.linenos, hit.lineno);
        [-1, 1].forEach(function (step) {
          var j = step === 1 ? at : at - 1;
          while (j >= 0 && j < c.linenos.length && Math.abs(c.linenos[j] - hit.lineno) <= windowSize) {
            var theirs = processOf(engine, hits[c.indexes[j]].line);
            if (proc === null || theirs === null || theirs === proc) {
              var distance = Math.abs(c.linenos[j] - hit.lineno);
              if (best === null || distance < best.distance) best = { distance: distance, index: c.indexes[j] };
              break;
            }
            j += step;
          }
        });
        if (best !== null) {
          taken.add(best.index);
          if (!lent.has(index)) lent.set(index, {});
          var values = lent.get(index);
          var groups = groupsOf(hits[best.index].match);
          Object.keys(groups).forEach(function (k) {
            if (!(k in values)) values[k] = groups[k];
          });
        }
      });
    });
    return { lent: lent, taken: taken };
  }

  function bisectLeft(list, value) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] < value) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function sortedItems(values) {
    return Object.keys(values).sort().map(function (k) { return [k, values[k]]; });
  }

  function aloneTitle(template, instances) {
    var seen = {};
    instances.forEach(function (inst) {
      inst.items.forEach(function (kv) {
        if (!seen[kv[0]]) seen[kv[0]] = [];
        if (seen[kv[0]].indexOf(kv[1]) < 0) seen[kv[0]].push(kv[1]);
      });
    });
    return template.replace(/\{(\w*)\}/g, function (_, name) {
      var v = seen[name];
      if (!v) return "\u2026";
      return v.slice(0, 3).join(", ") + (v.length > 3 ? ", \u2026" : "");
    });
  }

  /* The report of a paste: one item per problem, in order of first line (as runbook triage). */
  function report(engine, text) {
    var hits = [];
    lines(text).forEach(function (line, i) {
      var found = matchLine(engine, line);
      if (found) hits.push({ entry: found.entry, match: found.match, line: line, lineno: i + 1 });
    });
    var lending = lendContext(engine, hits);
    var findings = new Map();
    hits.forEach(function (hit, index) {
      var key;
      if (hit.entry.kind === "context") {
        if (lending.taken.has(index) || !hit.entry.alone) return;
        key = hit.entry;
      } else {
        key = hit.entry.page;
      }
      var f = findings.get(key);
      if (!f) {
        f = { key: key, hit: hit, count: 0, firstLine: hit.lineno, example: hit.line, instances: new Map() };
        findings.set(key, f);
      }
      f.count += 1;
      var values = groupsOf(hit.match);
      var extra = lending.lent.get(index) || {};
      Object.keys(extra).forEach(function (k) { if (!(k in values)) values[k] = extra[k]; });
      var items = sortedItems(values);
      if (items.length) {
        var id = JSON.stringify(items);
        var inst = f.instances.get(id);
        if (!inst) f.instances.set(id, (inst = { items: items, count: 0 }));
        inst.count += 1;
      }
    });
    var max = engine.data.max_instances;
    return Array.from(findings.values()).map(function (f) {
      var instances = Array.from(f.instances.values());
      var alone = f.key !== f.hit.entry.page;
      var page = alone ? f.key.alone.page : f.key;
      var info = engine.data.pages[page];
      return {
        title: alone ? aloneTitle(f.key.alone.title, instances) : info.title,
        page: page,
        url: pageUrl(engine, page, {}, alone ? f.key.alone.anchor : null),
        context_only: alone,
        count: f.count,
        first_line: f.firstLine,
        example: f.example,
        instances: instances.slice(0, max).map(function (inst) {
          var values = {};
          inst.items.forEach(function (kv) { values[kv[0]] = kv[1]; });
          return { values: values, count: inst.count, url: alone ? null : pageUrl(engine, page, values) };
        }),
        more_instances: Math.max(0, instances.length - max),
      };
    });
  }

  function pageUrl(engine, page, values, anchor) {
    var url = new URL(engine.data.pages[page].url, SITE);
    Object.keys(values || {}).forEach(function (k) { url.searchParams.set(k, values[k]); });
    if (anchor) url.hash = anchor;
    return url.href;
  }

  /* ------------------------------------------------------------------ rendering */

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function valuesText(values) {
    return Object.keys(values).map(function (k) { return k + "=" + values[k]; }).join(", ");
  }

  /* Known errors above Material's search results. */
  function renderSearch(engine, query) {
    var result = document.querySelector(".md-search-result");
    if (!result) return;
    var box = result.querySelector(".runbook-known");
    var found = query.trim() ? classify(engine, query) : null;
    if (!found) {
      if (box) box.remove();
      state.search = { query: query, page: null, values: {}, at: performance.now() };
      return;
    }
    var info = engine.data.pages[found.page];
    var href = pageUrl(engine, found.page, found.values);
    var item = el("li", { class: "runbook-known__item" }, [
      el("a", { class: "runbook-known__link", href: href, "data-page": found.page }, [
        el("span", { class: "runbook-known__label", text: "Known error: " }),
        el("span", { class: "runbook-known__title", text: info.title }),
      ]),
      Object.keys(found.values).length
        ? el("span", { class: "runbook-known__values", text: "found: " + valuesText(found.values) })
        : null,
    ]);
    var fresh = el("ol", { class: "runbook-known", "aria-label": "Known errors" }, [item]);
    if (box) box.replaceWith(fresh); else result.insertBefore(fresh, result.querySelector(".md-search-result__list"));
    state.search = { query: query, page: found.page, values: found.values, at: performance.now() };
  }

  function renderPaste(engine, text, out) {
    var started = performance.now();
    var items = text.trim() ? report(engine, text) : [];
    out.textContent = "";
    if (!text.trim()) return;
    if (!items.length) {
      out.appendChild(el("p", { class: "runbook-paste__none", text: "No known problem found." }));
    } else {
      out.appendChild(el("ol", { class: "runbook-paste__list" }, items.map(function (it) {
        var instances = it.instances.slice(0, 3).map(function (inst) {
          return el("li", { class: "runbook-paste__values" }, [
            inst.url ? el("a", { href: inst.url, text: valuesText(inst.values) }) : el("span", { text: valuesText(inst.values) }),
            el("span", { text: it.count > 1 ? " (" + inst.count + "\u00d7)" : "" }),
          ]);
        });
        var more = it.instances.length - 3 + it.more_instances;
        return el("li", { class: "runbook-paste__item", "data-page": it.page, "data-count": String(it.count) }, [
          el("a", { class: "runbook-paste__link", href: it.instances.length && it.instances[0].url ? it.instances[0].url : it.url, text: it.title }),
          el("span", { class: "runbook-paste__count", text: " \u2014 " + it.count + " line" + (it.count === 1 ? "" : "s") + ", first on line " + it.first_line }),
          instances.length ? el("ul", {}, instances) : null,
          more > 0 ? el("p", { text: "\u2026 and " + more + " more distinct values (runbook triage --json lists them)" }) : null,
        ]);
      })));
    }
    state.paste = { items: items, ms: performance.now() - started, at: performance.now() };
  }

  var state = { search: null, paste: null };

  function onSearchInput(event) {
    var input = event.target;
    if (!input.matches || !input.matches("input.md-search__input")) return;
    load().then(function (engine) { renderSearch(engine, input.value); });
  }

  /* Enter in the search box opens the known error's page, as Material opens its first result. */
  function onSearchKey(event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("input.md-search__input")) return;
    var link = document.querySelector(".md-search-result .runbook-known__link");
    if (!link) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    link.click();
  }

  function setupPaste() {
    document.querySelectorAll("[data-runbook-paste]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var input = box.querySelector("textarea");
      var out = box.querySelector(".runbook-paste__result");
      var run = function () { load().then(function (engine) { renderPaste(engine, input.value, out); }); };
      input.addEventListener("input", run);
      if (input.value) run();
    });
  }

  document.addEventListener("input", onSearchInput, true);
  // Material's clear button resets the search form without an input event
  document.addEventListener("reset", function (event) {
    if (!event.target.matches || !event.target.matches(".md-search__form")) return;
    var box = document.querySelector(".md-search-result .runbook-known");
    if (box) box.remove();
  }, true);
  document.addEventListener("keydown", onSearchKey, true);
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setupPaste);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupPaste);
  } else {
    setupPaste();
  }

  window.runbookTriage = {
    load: load,
    classify: function (line) { return load().then(function (e) { return classify(e, line); }); },
    report: function (text) { return load().then(function (e) { return report(e, text); }); },
    state: state,
  };
})();
