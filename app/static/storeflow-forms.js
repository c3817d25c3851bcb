/*
 * Storeflow signup forms: shows the shop's live popup, flyout and embedded forms by their display
 * rules, and signs shoppers up. No dependencies. Install (Shopify's theme app embed does this):
 *
 *   <script src="https://APP_URL/static/storeflow-forms.js" data-key="STOREFRONT_KEY" async></script>
 *
 * data-api names where the API answers when the script is served from elsewhere (the app proxy);
 * by default it is the script's own origin. An embedded form shows where the page has
 *   <div data-storeflow-form="FORM_ID"></div>
 *
 * Display rules (all must hold): the page's path matches an "include" pattern (none: every page)
 * and no "exclude" one (* matches any text); the delay has passed; the shopper scrolled the page
 * this deep; with exit intent, the pointer left towards the browser's bar (touch screens have no
 * pointer, so there the form shows once the rest holds). A form shown (closed or not) stays hidden
 * for its frequency in days (0: it shows on every page), a submitted one for good, and with "hide for subscribers" it never shows to a
 * browser Storeflow knows as a subscriber or that signed up here. State is in localStorage.
 *
 * Accessibility (WCAG 2.1 AA): every input has a visible label; a popup is a modal dialog that
 * takes focus, keeps Tab inside and closes on Esc, giving focus back where it was; a flyout is a
 * non-modal dialog that closes on Esc; errors are shown together, each input marked aria-invalid
 * and described by its message; colours come from the design, whose contrast the server checked.
 *
 * The admin's live preview renders with the same code: storeflowForms.preview(element, design).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var key = script ? script.getAttribute("data-key") || "" : "";
  var api = script ? (script.getAttribute("data-api") || new URL(script.src).origin) : "";
  var STATE = "sf_forms";
  var SUBSCRIBED = "sf_subscribed";
  var DAY_MS = 86400000;
  var MOBILE = "(max-width: 640px)";
  var EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$/;
  var BIRTHDAY = /^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
  var TYPES = {email: "email", phone: "tel", first_name: "text", birthday: "text"};
  var AUTOCOMPLETE = {email: "email", phone: "tel", first_name: "given-name", birthday: "off"};
  var modalOpen = false;
  var counter = 0;

  function readState() {
    try { return JSON.parse(storedFlag(STATE) || "{}") || {}; } catch (e) { return {}; }
  }

  function remember(formId, change) {
    var state = readState();
    var entry = state[formId] || {};
    for (var name in change) entry[name] = change[name];
    state[formId] = entry;
    try { localStorage.setItem(STATE, JSON.stringify(state)); } catch (e) { /* private mode: forget */ }
  }

  /* The region of the browser's language ("en-US": "US"), for a phone number typed without +1. */
  function browserRegion() {
    var match = /-([A-Z]{2})$/.exec(navigator.language || "");
    return match ? match[1] : "";
  }

  function storedFlag(name) {
    try { return localStorage.getItem(name); } catch (e) { return null; }
  }

  function visitorId() {
    var match = document.cookie.match(/(?:^|;\s*)sf_vid=([A-Za-z0-9_-]{16,64})/);
    return match ? match[1] : "";
  }

  function pattern(glob) {
    var escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + escaped + "$");
  }

  function pathMatches(rules, path) {
    var included = !rules.include.length || rules.include.some(function (g) { return pattern(g).test(path); });
    return included && !rules.exclude.some(function (g) { return pattern(g).test(path); });
  }

  /* Tell whether this browser may see the form now, before waiting for its triggers. */
  function eligible(form, knownSubscriber, now) {
    var design = form.design, rules = design.rules;
    var seen = readState()[form.id] || {};
    if (!pathMatches(rules, location.pathname)) return false;
    if (rules.hide_for_subscribers && (knownSubscriber || storedFlag(SUBSCRIBED))) return false;
    if (design.kind === "embedded") return true;
    if (seen.submitted_at) return false;
    var last = Math.max(seen.shown_at || 0, seen.dismissed_at || 0);
    if (last && now - last < rules.frequency_days * DAY_MS) return false;
    return !(window.matchMedia(MOBILE).matches && design.mobile === "hidden");
  }

  function scrolledPercent() {
    var root = document.documentElement;
    var room = root.scrollHeight - window.innerHeight;
    return room <= 0 ? 100 : Math.round(100 * window.scrollY / room);
  }

  /* Call show() once the delay passed, the page was scrolled deep enough, and the pointer left. */
  function whenTriggered(rules, show) {
    var waiting = {delay: true, scroll: rules.scroll_percent > 0, exit: rules.exit_intent && !window.matchMedia("(hover: none)").matches};
    var done = false;
    function check() {
      if (done || waiting.delay || waiting.scroll || waiting.exit) return;
      done = true;
      window.removeEventListener("scroll", onScroll);
      document.removeEventListener("mouseout", onLeave);
      show();
    }
    function onScroll() {
      if (scrolledPercent() >= rules.scroll_percent) { waiting.scroll = false; check(); }
    }
    function onLeave(event) {
      if (!event.relatedTarget && event.clientY <= 0 && !waiting.delay && !waiting.scroll) { waiting.exit = false; check(); }
    }
    if (waiting.scroll) window.addEventListener("scroll", onScroll, {passive: true});
    if (waiting.exit) document.addEventListener("mouseout", onLeave);
    setTimeout(function () { waiting.delay = false; onScroll(); check(); }, rules.delay_seconds * 1000);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    for (var name in attributes || {}) node.setAttribute(name, attributes[name]);
    if (text) node.textContent = text;
    return node;
  }

  var stylesAdded = false;
  function addStyles() {
    if (stylesAdded) return;
    stylesAdded = true;
    var css = [
      ".sf-overlay{position:fixed;inset:0;background:rgba(0,0,0,.55);z-index:2147483000;display:flex;align-items:center;justify-content:center}",
      ".sf-form{box-sizing:border-box;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:var(--sf-bg);color:var(--sf-text);padding:24px;border-radius:10px;max-width:420px;width:calc(100% - 32px);position:relative;box-shadow:0 10px 40px rgba(0,0,0,.25)}",
      ".sf-form *{box-sizing:border-box}",
      ".sf-kind-flyout{position:fixed;right:16px;bottom:16px;z-index:2147483000}",
      ".sf-kind-embedded{box-shadow:none;border:1px solid var(--sf-text);max-width:none;width:100%}",
      ".sf-form h2{margin:0 0 8px;font-size:1.4em;line-height:1.2;color:var(--sf-text)}",
      ".sf-form p{margin:0 0 12px;color:var(--sf-text)}",
      ".sf-field{margin:0 0 12px}",
      ".sf-field label{display:block;font-weight:600;margin:0 0 4px;color:var(--sf-text)}",
      ".sf-field input[type=email],.sf-field input[type=tel],.sf-field input[type=text]{display:block;width:100%;padding:10px 12px;font:inherit;color:#1f2933;background:#ffffff;border:2px solid #52606d;border-radius:6px}",
      ".sf-field input[aria-invalid=true]{border-color:#b42318;border-width:3px}",
      ".sf-check{display:flex;gap:8px;align-items:flex-start;font-weight:400}",
      ".sf-check input{width:20px;height:20px;margin:2px 0 0;flex:none}",
      ".sf-error{display:block;margin-top:4px;font-weight:600;color:var(--sf-text)}",
      ".sf-error:not(:empty)::before{content:'\\26A0\\FE0E  '}",
      ".sf-wording{font-size:.85em}",
      ".sf-submit{display:block;width:100%;padding:12px;font:inherit;font-weight:700;color:var(--sf-button-text);background:var(--sf-accent);border:0;border-radius:6px;cursor:pointer}",
      ".sf-close{position:absolute;top:8px;right:8px;width:44px;height:44px;font:24px/1 system-ui,sans-serif;color:var(--sf-text);background:transparent;border:0;border-radius:6px;cursor:pointer}",
      ".sf-form :focus-visible{outline:3px solid var(--sf-text);outline-offset:2px}",
      ".sf-honeypot{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}",
      "@media " + MOBILE + "{.sf-mobile-full{width:100%;max-width:none;height:100%;border-radius:0;overflow:auto}",
      ".sf-overlay.sf-mobile-sheet{align-items:flex-end}.sf-mobile-sheet{width:100%;max-width:none;border-radius:12px 12px 0 0}",
      ".sf-kind-flyout{left:0;right:0;bottom:0;width:100%;max-width:none;border-radius:12px 12px 0 0}}"
    ].join("\n");
    document.head.appendChild(element("style", {"data-storeflow-forms": ""}, css));
  }

  function focusables(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("button, input, a[href], [tabindex]:not([tabindex='-1'])"),
      function (node) { return !node.disabled && node.tabIndex >= 0 && node.offsetParent !== null; }
    );
  }

  /* Build the form's markup; ``send(values)`` answers a promise of {ok, body}. */
  function build(form, options) {
    var design = form.design, style = design.style;
    var id = "sf-" + form.id + "-" + (++counter);
    var box = element("div", {"class": "sf-form sf-kind-" + design.kind + " sf-mobile-" + design.mobile, "data-sf-form": String(form.id)});
    box.style.setProperty("--sf-bg", style.background);
    box.style.setProperty("--sf-text", style.text);
    box.style.setProperty("--sf-accent", style.accent);
    box.style.setProperty("--sf-button-text", style.button_text);
    if (design.kind === "embedded") {
      box.setAttribute("role", "region");
    } else {
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-modal", design.kind === "popup" && !options.preview ? "true" : "false");
    }
    box.setAttribute("aria-labelledby", id + "-title");
    if (design.kind !== "embedded") {
      var close = element("button", {type: "button", "class": "sf-close", "aria-label": "Close"}, "\u00d7");
      close.addEventListener("click", function () { options.close("dismissed"); });
      box.appendChild(close);
    }
    var body = element("div", {"class": "sf-body"});
    box.appendChild(body);
    body.appendChild(element("h2", {id: id + "-title"}, design.title));
    if (design.body) body.appendChild(element("p", {}, design.body));
    var formNode = element("form", {novalidate: "", "aria-describedby": id + "-status"});
    var inputs = {};
    design.fields.forEach(function (field) {
      var wrap = element("div", {"class": "sf-field"});
      var inputId = id + "-" + field.name;
      wrap.appendChild(element("label", {"for": inputId}, field.label + (field.required ? "" : " (optional)")));
      var input = element("input", {id: inputId, name: field.name, type: TYPES[field.name], autocomplete: AUTOCOMPLETE[field.name], "aria-describedby": inputId + "-error"});
      if (field.name === "birthday") { input.setAttribute("inputmode", "numeric"); input.setAttribute("placeholder", "MM-DD"); }
      if (field.required) { input.required = true; input.setAttribute("aria-required", "true"); }
      wrap.appendChild(input);
      wrap.appendChild(element("span", {id: inputId + "-error", "class": "sf-error"}));
      formNode.appendChild(wrap);
      inputs[field.name] = input;
    });
    if (inputs.phone && design.sms_wording) {
      var check = element("div", {"class": "sf-field"});
      var checkLabel = element("label", {"class": "sf-check", "for": id + "-sms"});
      var box2 = element("input", {id: id + "-sms", name: "sms_consent", type: "checkbox"});
      checkLabel.appendChild(box2);
      checkLabel.appendChild(element("span", {}, design.sms_wording));
      check.appendChild(checkLabel);
      formNode.appendChild(check);
      inputs.sms_consent = box2;
    }
    var trap = element("div", {"class": "sf-honeypot", "aria-hidden": "true"});
    var trapLabel = element("label", {"for": id + "-website"}, "Leave this empty");
    var trapInput = element("input", {id: id + "-website", name: "website", type: "text", tabindex: "-1", autocomplete: "off"});
    trap.appendChild(trapLabel);
    trap.appendChild(trapInput);
    formNode.appendChild(trap);
    formNode.appendChild(element("p", {"class": "sf-wording", id: id + "-wording"}, design.email_wording));
    var submit = element("button", {type: "submit", "class": "sf-submit", "aria-describedby": id + "-wording"}, design.button);
    formNode.appendChild(submit);
    var status = element("p", {id: id + "-status", "class": "sf-error", role: "alert"});
    formNode.appendChild(status);
    body.appendChild(formNode);

    function showErrors(errors) {
      var first = null;
      Object.keys(inputs).forEach(function (name) {
        var input = inputs[name], message = errors[name] || "";
        var slot = document.getElementById(input.id + "-error");
        if (slot) slot.textContent = message;
        if (message) { input.setAttribute("aria-invalid", "true"); first = first || input; }
        else input.removeAttribute("aria-invalid");
      });
      status.textContent = errors.form || (Object.keys(errors).length ? "Please check the highlighted fields." : "");
      if (first) first.focus();
    }

    function succeed(answer) {
      body.textContent = "";
      var title = element("h2", {id: id + "-title", tabindex: "-1"}, answer.title || design.success_title);
      body.appendChild(title);
      var message = answer.message || design.success_message;
      if (message) body.appendChild(element("p", {}, message));
      if (answer.offer_percent) {
        body.appendChild(element("p", {"data-sf-offer": ""}, answer.confirm
          ? "Confirm your subscription from the email we just sent, and your " + answer.offer_percent + "% welcome code follows."
          : "Your " + answer.offer_percent + "% welcome code is on its way to your inbox."));
      }
      box.setAttribute("data-sf-state", "done");
      title.focus();
    }

    formNode.addEventListener("submit", function (event) {
      event.preventDefault();
      var values = {website: trapInput.value}, errors = {};
      design.fields.forEach(function (field) {
        var value = inputs[field.name].value.trim();
        values[field.name] = value;
        if (field.required && !value) errors[field.name] = "This field is required.";
        else if (field.name === "email" && value && !EMAIL.test(value)) errors.email = "Enter a valid email address, like name@example.com.";
        else if (field.name === "birthday" && value && !BIRTHDAY.test(value)) errors.birthday = "Enter a date like 04-23 (month-day).";
      });
      if (inputs.sms_consent) values.sms_consent = inputs.sms_consent.checked;
      if (inputs.phone) values.country = browserRegion();
      showErrors(errors);
      if (Object.keys(errors).length) return;
      submit.disabled = true;
      options.send(values).then(function (answer) {
        submit.disabled = false;
        if (answer.ok) { succeed(answer.body); options.submitted(); return; }
        var fieldErrors = {};
        var reported = answer.body.errors || {};
        Object.keys(reported).forEach(function (name) {
          var text = String(reported[name]);
          fieldErrors[name] = text.charAt(0).toUpperCase() + text.slice(1) + ".";
        });
        if (!Object.keys(fieldErrors).length) fieldErrors.form = "Something went wrong: " + (answer.body.error || "please try again") + ".";
        showErrors(fieldErrors);
      });
    });
    return box;
  }

  function post(path, body) {
    return fetch(api + "/storefront/forms/" + path + "?k=" + encodeURIComponent(key), {
      method: "POST", mode: "cors", credentials: "omit",
      headers: {"Content-Type": "text/plain"}, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) { return {ok: response.ok, body: json}; });
    }, function () { return {ok: false, body: {error: "no connection"}}; });
  }

  /* Show one form on the page: record the view, fetch its ticket, manage focus while it is open. */
  function open(form) {
    addStyles();
    var design = form.design;
    var ticket = post(form.id + "/view", {}).then(function (answer) { return answer.body.ticket || ""; });
    if (design.kind !== "embedded") remember(form.id, {shown_at: Date.now()});
    var returnTo = document.activeElement;
    var pageOverflow = document.documentElement.style.overflow;
    var overlay = null, node;
    function close(reason) {
      if (reason === "dismissed") remember(form.id, {dismissed_at: Date.now()});
      (overlay || node).remove();
      document.removeEventListener("keydown", onKey, true);
      if (design.kind === "popup") { modalOpen = false; document.documentElement.style.overflow = pageOverflow; }
      if (returnTo && returnTo.focus && document.contains(returnTo)) returnTo.focus();
    }
    function onKey(event) {
      if (event.key === "Escape") {
        if (design.kind === "popup") event.preventDefault();  // a flyout leaves the page its own Esc
        close(node.getAttribute("data-sf-state") === "done" ? "done" : "dismissed");
        return;
      }
      if (event.key !== "Tab" || design.kind !== "popup") return;
      var items = focusables(node);
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (!node.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
      else if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    }
    node = build(form, {
      close: close,
      send: function (values) {
        return ticket.then(function (shown) { values.ticket = shown; return post(form.id + "/submit", values); });
      },
      submitted: function () {
        remember(form.id, {submitted_at: Date.now()});
        try { localStorage.setItem(SUBSCRIBED, "1"); } catch (e) { /* private mode */ }
      }
    });
    if (design.kind === "embedded") return node;
    if (design.kind === "popup") {
      modalOpen = true;
      document.documentElement.style.overflow = "hidden";  // the page behind a modal stays put
      overlay = element("div", {"class": "sf-overlay sf-mobile-" + design.mobile});
      overlay.addEventListener("click", function (event) { if (event.target === overlay) close("dismissed"); });
      overlay.appendChild(node);
      document.body.appendChild(overlay);
    } else {
      document.body.appendChild(node);
    }
    document.addEventListener("keydown", onKey, true);
    var first = node.querySelector("input:not([tabindex='-1'])");
    if (design.kind === "popup" && first) first.focus();
    return node;
  }

  function start(answer) {
    var now = Date.now();
    answer.forms.forEach(function (form) {
      if (!eligible(form, answer.known_subscriber, now)) return;
      if (form.design.kind === "embedded") {
        var slots = document.querySelectorAll("[data-storeflow-form='" + form.id + "']");
        Array.prototype.forEach.call(slots, function (slot) { slot.appendChild(open(form)); });
        return;
      }
      whenTriggered(form.design.rules, function () {
        if (form.design.kind === "popup" && modalOpen) return;  // one modal at a time
        if (eligible(form, answer.known_subscriber, Date.now())) open(form);
      });
    });
  }

  /* Render a design inside the admin, without the network: the success state shows on submit. */
  function preview(container, design, offerPercent) {
    addStyles();
    container.textContent = "";
    var node = build({id: "preview", design: design}, {
      preview: true,
      close: function () { preview(container, design, offerPercent); },
      send: function () {
        return Promise.resolve({ok: true, body: {title: design.success_title, message: design.success_message, offer_percent: offerPercent || null, confirm: false}});
      },
      submitted: function () {}
    });
    node.style.position = "relative";
    node.style.inset = "auto";
    container.appendChild(node);
    return node;
  }

  window.storeflowForms = {preview: preview};
  if (!key) return;
  var visitor = visitorId();
  fetch(api + "/storefront/forms?k=" + encodeURIComponent(key) + (visitor ? "&visitor=" + visitor : ""), {credentials: "omit"})
    .then(function (response) { return response.ok ? response.json() : {forms: []}; })
    .then(start, function () { /* no forms when Storeflow cannot be reached */ });
}());
