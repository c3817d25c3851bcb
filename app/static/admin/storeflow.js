// Storeflow admin: the few behaviours the server-rendered pages need. Every page works without it.
// - Embedded (Shopify admin, Saleor dashboard), requests carry the platform's token instead of a
//   cookie: forms (and, in Saleor, links) are sent with fetch, the answer replaces the page and its
//   address is pushed onto the history, so the URL, reload, back and forward follow the merchant.
// - Inside Shopify the page speaks App Bridge: its title bar, the contextual save bar on forms with
//   unsaved edits, toasts after a save, and modals; elsewhere a <dialog> and an aria-live region.
// - A form for a consequential action (data-confirm) is sent once without confirmation: the server
//   answers with its question (app/web/admin/confirmation.py), shown here as a modal.
// - Unsaved edits are guarded: leaving the page, or saving another form of it, asks first.
// - The template and signup-form editors preview as you type.
(function () {
  "use strict";
  var root = document.documentElement;
  var embed = root.getAttribute("data-embed") || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CONFIRMATION_HEADER = "Storeflow-Confirmation";
  var LOCATION_HEADER = "Storeflow-Location";
  // The words this script and designer.js write, in the page's language (app/web/admin/script_words.py).
  var wordsElement = document.getElementById("storeflow-words");
  var WORDS = wordsElement ? JSON.parse(wordsElement.textContent || "{}") : {};
  function t(word) { return WORDS[word] || word; }
  window.storeflowWord = t;

  function bridge() {
    return embed === "shopify" && window.shopify ? window.shopify : null;
  }

  if (embed === "saleor") {
    // The dashboard posts a fresh token from time to time; keep the latest (the page survives reloads
    // through document.write, so the state lives on window).
    window.storeflowSaleor = window.storeflowSaleor || { apiUrl: "", token: null, entry: "" };
    window.addEventListener("message", function (event) {
      var data = event.data || {};
      if ((data.type === "handshake" || data.type === "tokenRefresh") && data.payload) {
        window.storeflowSaleor.token = data.payload.token;
      }
    });
  }

  function authHeaders() {
    var shopify = bridge();
    if (shopify && shopify.idToken) {
      return shopify.idToken().then(function (token) { return { Authorization: "Bearer " + token }; });
    }
    if (embed === "saleor" && window.storeflowSaleor && window.storeflowSaleor.token) {
      return Promise.resolve({
        Authorization: "Bearer " + window.storeflowSaleor.token,
        "Saleor-Api-Url": window.storeflowSaleor.apiUrl,
      });
    }
    return Promise.resolve(csrfMeta ? { "X-CSRFToken": csrfMeta.content } : {});
  }

  function send(url, options) {
    return authHeaders().then(function (headers) {
      return fetch(url, Object.assign({ headers: headers, credentials: "same-origin" }, options));
    });
  }

  // ---- History: the address a replaced page is reachable at again ----

  // In Saleor a reload arrives without the dashboard's token, so the address kept is the entry page's,
  // naming the admin page to open once the token is there (saleor_entry.html reads ``next``).
  function historyUrl(path) {
    var saleor = window.storeflowSaleor;
    if (embed !== "saleor" || !saleor || !saleor.entry) { return path; }
    var url = new URL(saleor.entry, location.href);
    url.searchParams.set("next", path);
    return url.pathname + url.search;
  }

  function pageAddress(url) {
    if (embed !== "saleor") { return url; }
    var next = new URL(url, location.href).searchParams.get("next");
    return next && next.indexOf("/admin") === 0 ? next : "/admin";  // the entry page opens the overview
  }

  function replaceDocument(html, address, how) {
    if (address && how) { history[how]({ storeflow: true }, "", historyUrl(address)); }
    document.open();
    document.write(html);
    document.close();
    window.scrollTo(0, 0);
    // A new page: keyboard and screen reader users start at its content, as after a page load.
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: true }); }
  }

  // Show the page a request answered with; ``how`` (pushState, or null for back and forward) records
  // its address: the one the server names, the redirect's, or else ``requested`` (a GET's own URL).
  function show(response, how, requested) {
    if ((response.headers.get("Content-Disposition") || "").indexOf("attachment") === 0) {
      return download(response);
    }
    var address = response.headers.get(LOCATION_HEADER) || (response.redirected ? response.url : requested);
    if (address) { address = new URL(address, location.href); address = address.pathname + address.search; }
    return response.text().then(function (html) { replaceDocument(html, address, how || "pushState"); });
  }

  function navigate(url) {
    return send(url).then(function (response) { return show(response, "pushState", url); });
  }

  window.addEventListener("popstate", function () {
    if (!embed) { location.reload(); return; }
    var address = pageAddress(location.pathname + location.search);
    if (address) { send(address).then(function (response) { return show(response, null); }); }
  });

  function download(response) {
    var name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return response.blob().then(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name ? name[1] : "storeflow.json";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  // ---- Toasts: App Bridge's inside Shopify, an aria-live region elsewhere ----

  // Inside Shopify the toast says it; elsewhere the banner shows it and the live region (filled after
  // load, so screen readers announce it even on a page written by document.write) says it.
  function toast(message) {
    var shopify = bridge();
    if (shopify && shopify.toast) { shopify.toast.show(message); return true; }
    var region = document.getElementById("toast-region");
    if (region) { setTimeout(function () { region.textContent = message; }, 100); }
    return false;
  }

  document.querySelectorAll("[data-notice]").forEach(function (notice) {
    if (toast(notice.textContent.trim())) { notice.closest(".banner").hidden = true; }
  });

  // ---- Modals: App Bridge's ui-modal inside Shopify, a <dialog> elsewhere ----

  function modal(question) {
    var shopify = bridge();
    if (shopify && window.customElements && customElements.get("ui-modal")) { return bridgeModal(question); }
    return dialogModal(question);
  }

  function bridgeModal(question) {
    return new Promise(function (resolve) {
      var element = document.createElement("ui-modal");
      element.id = "storeflow-confirm";
      var body = document.createElement("p");
      body.style.padding = "1rem";
      body.textContent = question.consequence;
      var bar = document.createElement("ui-title-bar");
      bar.setAttribute("title", question.title);
      var act = document.createElement("button");
      act.setAttribute("variant", "primary");
      if (question.destructive) { act.setAttribute("tone", "critical"); }
      act.textContent = question.action;
      var cancel = document.createElement("button");
      cancel.textContent = t("Cancel");
      bar.appendChild(act);
      bar.appendChild(cancel);
      element.appendChild(body);
      element.appendChild(bar);
      document.body.appendChild(element);
      var answered = false;
      function answer(yes) {
        if (answered) { return; }
        answered = true;
        element.hide();
        element.remove();
        resolve(yes);
      }
      act.addEventListener("click", function () { answer(true); });
      cancel.addEventListener("click", function () { answer(false); });
      element.addEventListener("hide", function () { answer(false); });
      element.show();
    });
  }

  function dialogModal(question) {
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
      var form = document.createElement("form");
      form.method = "dialog";
      var title = document.createElement("h2");
      title.id = "confirm-dialog-title";
      title.textContent = question.title;
      var body = document.createElement("p");
      body.textContent = question.consequence;
      var actions = document.createElement("div");
      actions.className = "actions";
      var cancel = document.createElement("button");
      cancel.className = "btn";
      cancel.value = "cancel";
      cancel.textContent = t("Cancel");
      var act = document.createElement("button");
      act.className = "btn " + (question.destructive ? "critical" : "primary");
      act.value = "confirm";
      act.textContent = question.action;
      actions.appendChild(cancel);
      actions.appendChild(act);
      form.appendChild(title);
      form.appendChild(body);
      form.appendChild(actions);
      dialog.appendChild(form);
      document.body.appendChild(dialog);
      var opener = document.activeElement;
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (opener && opener.focus) { opener.focus(); }
        resolve(dialog.returnValue === "confirm");
      });
      dialog.showModal();
      cancel.focus();
    });
  }

  // The question of a confirmation page (admin/confirm.html), read from the server's answer.
  function questionIn(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var text = function (selector) { var node = page.querySelector(selector); return node ? node.textContent.trim() : ""; };
    var action = page.querySelector("[data-confirm-action]");
    return {
      title: text("[data-confirm-title]"),
      consequence: text("[data-confirm-consequence]"),
      action: text("[data-confirm-action]"),
      destructive: !!(action && action.classList.contains("critical")),
    };
  }

  // ---- Unsaved edits: the save bar inside Shopify, a guard everywhere ----

  function editable(form) {
    return (form.getAttribute("method") || "get").toLowerCase() === "post";
  }

  function dirtyForms(except) {
    return Array.prototype.filter.call(document.querySelectorAll("form[data-dirty]"), function (form) {
      return form !== except;
    });
  }

  function markDirty(event) {
    var form = event.target && event.target.form;
    if (form && editable(form) && event.target.type !== "file") { form.setAttribute("data-dirty", ""); }
  }
  document.addEventListener("input", markDirty);
  document.addEventListener("change", markDirty);
  document.addEventListener("reset", function (event) { event.target.removeAttribute("data-dirty"); });

  if (bridge()) {
    // App Bridge shows its save bar while such a form differs from how it loaded; its Save submits the
    // form (through the handler below), its Discard resets it.
    document.querySelectorAll("form").forEach(function (form) {
      var fields = form.querySelector("textarea, select, input:not([type=hidden]):not([type=file])");
      if (editable(form) && fields && !form.querySelector(".btn.critical")) {
        form.setAttribute("data-save-bar", "");
      }
    });
  }

  // Resolve true when nothing unsaved (but ``except``) would be lost, or the merchant agrees to lose it.
  function leaveOk(except) {
    var dirty = dirtyForms(except);
    if (!dirty.length) { return Promise.resolve(true); }
    return modal({
      title: t("Leave without saving?"),
      consequence: t("You changed something on this page that is not saved yet. Leaving now discards it."),
      action: t("Discard changes"),
      destructive: true,
    }).then(function (yes) {
      if (yes) { dirty.forEach(function (form) { form.removeAttribute("data-dirty"); }); }
      return yes;
    });
  }

  var submitting = null;
  window.addEventListener("beforeunload", function (event) {
    if (dirtyForms(submitting).length) { event.preventDefault(); event.returnValue = ""; }
  });

  // ---- Forms ----

  function submitFor(form, submitter) {
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || location.href;
    return { action: action, body: new FormData(form, submitter) };
  }

  function needsConfirmation(form) {
    if (!form.hasAttribute("data-confirm") || form.querySelector('input[name="confirmed"]')) { return false; }
    var only = form.getAttribute("data-confirm-if");
    return !only || !!(form.elements[only] && form.elements[only].checked);
  }

  function confirmThenSubmit(form, submitter) {
    var request = submitFor(form, submitter);
    send(request.action, { method: "POST", body: request.body }).then(function (response) {
      if (response.headers.get(CONFIRMATION_HEADER) !== "1") { return show(response); }
      return response.text().then(function (html) {
        return modal(questionIn(html)).then(function (yes) {
          if (!yes) { return; }
          var field = document.createElement("input");
          field.type = "hidden";
          field.name = "confirmed";
          field.value = "yes";
          form.appendChild(field);
          form.requestSubmit(submitter || undefined);
        });
      });
    });
  }

  function post(form, submitter) {
    var request = submitFor(form, submitter);
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") {
      var url = new URL(request.action, location.href);
      request.body.forEach(function (value, key) { url.searchParams.set(key, value); });
      navigate(url.pathname + url.search);
      return;
    }
    send(request.action, { method: "POST", body: request.body }).then(function (response) { return show(response); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method === "dialog") { return; }
    var submitter = event.submitter;
    if (needsConfirmation(form)) {
      event.preventDefault();
      leaveOk(form).then(function (ok) { if (ok) { confirmThenSubmit(form, submitter); } });
      return;
    }
    if (dirtyForms(form).length) {
      event.preventDefault();
      leaveOk(form).then(function (ok) { if (ok) { form.requestSubmit(submitter || undefined); } });
      return;
    }
    submitting = form;
    if (embed) {
      event.preventDefault();
      post(form, submitter);
    }
  });

  // A title bar button names the form it saves (data-submit), as App Bridge clicks it from outside.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-submit]");
    if (!button) { return; }
    var form = document.getElementById(button.getAttribute("data-submit"));
    if (form) { event.preventDefault(); form.requestSubmit(); }
  });

  // Links: guarded while edits are unsaved; in Saleor fetched with the token (a plain link would
  // arrive unauthenticated) and pushed onto the history.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    var href = link.getAttribute("href");
    if (href.charAt(0) === "#" || new URL(link.href).origin !== location.origin) { return; }
    var fetched = embed === "saleor" && href.indexOf("/admin") === 0;
    if (!fetched && !dirtyForms(null).length) { return; }
    event.preventDefault();
    leaveOk(null).then(function (ok) {
      if (!ok) { return; }
      if (fetched) { navigate(href); } else { location.href = link.href; }
    });
  });

  // ---- Live previews ----

  // The template editor previews as you type.
  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var timer = null;
    var sequence = 0;
    var status = document.getElementById("preview-status");
    function render(data) {
      var error = document.getElementById("preview-error");
      if (data.error) {
        error.hidden = false;
        error.querySelector("[data-message]").textContent = data.error.message;
        if (status) { status.textContent = t("The preview shows the last version that worked."); }
        return;
      }
      error.hidden = true;
      if (status) { status.textContent = t("Preview updated."); }
      var subject = document.getElementById("preview-subject");
      if (subject) { subject.textContent = data.subject || ""; }
      var frame = document.getElementById("preview-html");
      if (frame) { frame.srcdoc = data.html || ""; }
      var text = document.getElementById("preview-text");
      if (text) { text.textContent = data.text || ""; }
      var link = document.getElementById("preview-url");
      if (link) { link.textContent = data.url || "the store"; }
      var count = document.getElementById("preview-length");
      if (count) { count.textContent = String((data.text || "").length); }
    }
    function refresh() {
      var mine = ++sequence;
      var body = new FormData(form);
      send(form.getAttribute("data-preview-url"), { method: "POST", body: body })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === sequence) { render(data); } });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  });

  // A signup form previews as you type: the server reads the draft, the storefront's script draws it.
  document.querySelectorAll("form[data-form-preview-url]").forEach(function (form) {
    var timer = null;
    var sequence = 0;
    var container = document.getElementById("form-preview");
    var status = document.getElementById("form-preview-status");
    function refresh() {
      var mine = ++sequence;
      send(form.getAttribute("data-form-preview-url"), { method: "POST", body: new FormData(form) })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== sequence || !window.storeflowForms) { return; }
          window.storeflowForms.preview(container, data.design, data.offer_percent);
          var problems = Object.keys(data.errors || {}).length;
          status.textContent = problems ? problems + " setting(s) to fix; the preview uses the defaults for them." : "";
        });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    refresh();
  });

  // A refused save comes back with its errors marked: put the merchant on the first field to fix.
  var firstInvalid = document.querySelector(
    'input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"]'
  );
  if (firstInvalid) { firstInvalid.focus(); }

  // Copy buttons for the storefront snippets.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent).then(function () {
        var label = button.textContent;
        button.textContent = t("Copied");
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
