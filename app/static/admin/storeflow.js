// Storeflow admin: the few behaviours the server-rendered pages need.
// - Inside the Shopify admin or the Saleor dashboard, requests carry the platform's token instead
//   of a cookie: forms (and, in Saleor, links) are sent with fetch and the answer replaces the page.
// - The template editor previews as you type.
// Everything works without this file in the standalone admin, except the live preview.
(function () {
  "use strict";
  var root = document.documentElement;
  var embed = root.getAttribute("data-embed") || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  if (embed === "saleor") {
    // The dashboard posts a fresh token from time to time; keep the latest (the page survives reloads
    // through document.write, so the state lives on window).
    window.storeflowSaleor = window.storeflowSaleor || { apiUrl: "", token: null };
    window.addEventListener("message", function (event) {
      var data = event.data || {};
      if ((data.type === "handshake" || data.type === "tokenRefresh") && data.payload) {
        window.storeflowSaleor.token = data.payload.token;
      }
    });
  }

  function authHeaders() {
    if (embed === "shopify" && window.shopify && window.shopify.idToken) {
      return window.shopify.idToken().then(function (token) { return { Authorization: "Bearer " + token }; });
    }
    if (embed === "saleor" && window.storeflowSaleor && window.storeflowSaleor.token) {
      return Promise.resolve({
        Authorization: "Bearer " + window.storeflowSaleor.token,
        "Saleor-Api-Url": window.storeflowSaleor.apiUrl,
      });
    }
    return Promise.resolve(csrfMeta ? { "X-CSRFToken": csrfMeta.content } : {});
  }

  function replaceDocument(html) {
    document.open();
    document.write(html);
    document.close();
    window.scrollTo(0, 0);
  }

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

  function send(url, options) {
    return authHeaders().then(function (headers) {
      return fetch(url, Object.assign({ headers: headers, credentials: "same-origin" }, options));
    });
  }

  if (embed) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || location.href;
      var body = new FormData(form, submitter);
      if ((form.getAttribute("method") || "get").toLowerCase() === "get") {
        var url = new URL(action, location.href);
        body.forEach(function (value, key) { url.searchParams.set(key, value); });
        send(url.toString()).then(function (r) { return r.text(); }).then(replaceDocument);
        return;
      }
      send(action, { method: "POST", body: body }).then(function (response) {
        if ((response.headers.get("Content-Disposition") || "").indexOf("attachment") === 0) {
          return download(response);
        }
        return response.text().then(replaceDocument);
      });
    });
  }
  if (embed === "saleor") {
    // Without cookies, a plain link would arrive unauthenticated: fetch it with the token instead.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='/admin']");
      if (!link || link.target || event.metaKey || event.ctrlKey) { return; }
      event.preventDefault();
      send(link.getAttribute("href")).then(function (r) { return r.text(); }).then(replaceDocument);
    });
  }

  // Live preview of the template editor.
  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var timer = null;
    var sequence = 0;
    var status = document.getElementById("preview-status");
    function show(data) {
      var error = document.getElementById("preview-error");
      if (data.error) {
        error.hidden = false;
        error.querySelector("[data-message]").textContent = data.error.message;
        if (status) { status.textContent = "The preview shows the last version that worked."; }
        return;
      }
      error.hidden = true;
      if (status) { status.textContent = "Preview updated."; }
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
        .then(function (data) { if (mine === sequence) { show(data); } });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  });

  // Live preview of a signup form: the server reads the draft, the storefront's script draws it.
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
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
