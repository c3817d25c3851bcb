// Storeflow email designer (admin/designer.html only): edit a message as blocks, preview it at 600 and
// 375 px as you type, save it as JSON. The server validates and renders; this file only edits data.
(function () {
  "use strict";
  var root = document.getElementById("designer");
  if (!root) { return; }
  var embed = document.documentElement.getAttribute("data-embed") || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var design = JSON.parse(document.getElementById("design-data").textContent);
  var list = document.getElementById("design-blocks");
  var statusLine = document.getElementById("design-status");
  var errorBox = document.getElementById("design-errors");
  var timer = null;
  var sequence = 0;
  var t = window.storeflowWord || function (word) { return word; };  // storeflow.js: the page's language

  var LABELS = {
    text: "Text", image: "Image", button: "Button", product_grid: "Product grid", cart_lines: "Cart lines",
    discount_code: "Discount code", divider: "Divider", social: "Social links"
  };
  var NETWORKS = [["instagram", "Instagram"], ["facebook", "Facebook"], ["x", "X"], ["tiktok", "TikTok"],
    ["pinterest", "Pinterest"], ["youtube", "YouTube"]];
  var STARTERS = {
    text: { type: "text", text: "Write something here.", style: "paragraph", align: "left" },
    image: { type: "image", src: "", alt: "", href: "", width: 600 },
    button: { type: "button", label: "Shop now", target: "shop", url: "", align: "center" },
    product_grid: { type: "product_grid", source: "products", columns: 2, label: "Shop now" },
    cart_lines: { type: "cart_lines", show_total: true },
    discount_code: { type: "discount_code", heading: "A little something for you" },
    divider: { type: "divider" },
    social: { type: "social", links: [] }
  };
  // What each block's form shows: [field, label, kind, options].
  var FIELDS = {
    text: [["text", "Text", "area"], ["style", "Style", "select", [["paragraph", "Paragraph"], ["heading", "Heading"]]],
      ["align", "Alignment", "select", [["left", "Left"], ["center", "Centre"]]]],
    image: [["src", "Image address (https://…)", "url"], ["alt", "Description (for screen readers)", "text"],
      ["href", "Link (optional)", "url"], ["width", "Width (px, up to 600)", "number"]],
    button: [["label", "Label", "text"], ["target", "Leads to", "select", [["recovery", "The shopper's checkout, cart or order"],
      ["shop", "Your store"], ["custom", "An address you type"]]], ["url", "Address (for “an address you type”)", "url"],
      ["align", "Alignment", "select", [["center", "Centre"], ["left", "Left"]]]],
    product_grid: [["source", "Products", "select", [["products", "The products this flow is about"], ["recommendations", "Recommendations"]]],
      ["columns", "Columns", "select", [["2", "2"], ["1", "1"]]], ["label", "Button label", "text"]],
    cart_lines: [["show_total", "Show the total", "check"]],
    discount_code: [["heading", "Heading", "text"]],
    divider: [],
    social: []
  };

  function authHeaders() {
    if (embed === "shopify" && window.shopify && window.shopify.idToken) {
      return window.shopify.idToken().then(function (token) { return { Authorization: "Bearer " + token }; });
    }
    if (embed === "saleor" && window.storeflowSaleor && window.storeflowSaleor.token) {
      return Promise.resolve({ Authorization: "Bearer " + window.storeflowSaleor.token,
        "Saleor-Api-Url": window.storeflowSaleor.apiUrl });
    }
    return Promise.resolve(csrfMeta ? { "X-CSRFToken": csrfMeta.content } : {});
  }

  function post(url, body) {
    return authHeaders().then(function (headers) {
      headers["Content-Type"] = "application/json";
      return fetch(url, { method: "POST", headers: headers, credentials: "same-origin",
        body: JSON.stringify(body || design) });
    }).then(function (response) { return response.json(); });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function fieldFor(block, index, spec) {
    var name = spec[0], id = "block-" + index + "-" + name, wrap = element("div", { "class": "field" });
    var value = block[name];
    var input;
    if (spec[2] === "check") {
      var label = element("label", { "class": "checkbox", "for": id });
      input = element("input", { type: "checkbox", id: id });
      input.checked = value !== false;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + t(spec[1])));
      wrap.appendChild(label);
      input.addEventListener("change", function () { block[name] = input.checked; changed(); });
      return wrap;
    }
    wrap.appendChild(element("label", { "for": id }, t(spec[1])));
    if (spec[2] === "area") {
      input = element("textarea", { id: id, rows: "4" });
    } else if (spec[2] === "select") {
      input = element("select", { id: id });
      spec[3].forEach(function (option) { input.appendChild(element("option", { value: option[0] }, t(option[1]))); });
    } else {
      input = element("input", { id: id, type: spec[2] === "number" ? "number" : (spec[2] === "url" ? "url" : "text") });
    }
    var unset = value === undefined || value === null;
    // A block stored without an optional choice shows the choice it renders with: the first.
    input.value = unset ? (spec[2] === "select" ? spec[3][0][0] : "") : String(value);
    input.setAttribute("data-field", name);
    input.addEventListener("input", function () {
      var raw = input.value;
      block[name] = (name === "columns" || name === "width") && raw !== "" ? Number(raw) : raw;
      changed();
    });
    wrap.appendChild(input);
    return wrap;
  }

  function socialFields(block, index) {
    var fields = element("div", { "class": "fields" });
    NETWORKS.forEach(function (network) {
      var id = "block-" + index + "-" + network[0], wrap = element("div", { "class": "field" });
      var found = (block.links || []).filter(function (link) { return link.network === network[0]; })[0];
      var input = element("input", { id: id, type: "url", placeholder: "https://" });
      input.value = found ? found.url : "";
      input.addEventListener("input", function () {
        block.links = (block.links || []).filter(function (link) { return link.network !== network[0]; });
        if (input.value.trim()) { block.links.push({ network: network[0], url: input.value.trim() }); }
        changed();
      });
      wrap.appendChild(element("label", { "for": id }, network[1]));
      wrap.appendChild(input);
      fields.appendChild(wrap);
    });
    return fields;
  }

  function control(english, name, index, enabled, action) {
    var label = t(english);
    var button = element("button", { type: "button", "class": "btn small", "data-action": name,
      "aria-label": label + " (" + t("block") + " " + (index + 1) + ")" }, label);
    button.disabled = !enabled;
    button.addEventListener("click", action);
    return button;
  }

  function move(index, by) {
    var block = design.blocks.splice(index, 1)[0];
    design.blocks.splice(index + by, 0, block);
    draw();
    var again = list.children[index + by].querySelector('[data-action="' + (by < 0 ? "up" : "down") + '"]');
    (again && !again.disabled ? again : list.children[index + by].querySelector("h3")).focus();
    changed();
  }

  function draw() {
    list.textContent = "";
    design.blocks.forEach(function (block, index) {
      var item = element("li", { "class": "design-block", "data-type": block.type, id: "block-" + index });
      var head = element("div", { "class": "design-block-head" });
      head.appendChild(element("h3", { tabindex: "-1" }, (index + 1) + ". " + (LABELS[block.type] ? t(LABELS[block.type]) : block.type)));
      var tools = element("div", { "class": "row" });
      tools.appendChild(control("Up", "up", index, index > 0, function () { move(index, -1); }));
      tools.appendChild(control("Down", "down", index, index < design.blocks.length - 1, function () { move(index, 1); }));
      tools.appendChild(control("Remove", "remove", index, true, function () {
        design.blocks.splice(index, 1);
        draw();
        focusBlock(Math.min(index, design.blocks.length - 1));
        changed();
      }));
      head.appendChild(tools);
      item.appendChild(head);
      var fields = element("div", { "class": "fields" });
      (FIELDS[block.type] || []).forEach(function (spec) { fields.appendChild(fieldFor(block, index, spec)); });
      item.appendChild(block.type === "social" ? socialFields(block, index) : fields);
      if (block.type === "divider") { item.appendChild(element("p", { "class": "help" }, t("A line between the blocks above and below."))); }
      list.appendChild(item);
    });
  }

  function focusBlock(index) {
    var target = index >= 0 ? list.children[index].querySelector("h3") : document.getElementById("add-block-type");
    if (target) { target.focus(); }
  }

  function showErrors(errors) {
    list.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
    var items = errorBox.querySelector("[data-errors]");
    items.textContent = "";
    errorBox.hidden = !errors.length;
    errors.forEach(function (problem) {
      items.appendChild(element("li", {}, problem.text));
      if (problem.block !== null && list.children[problem.block]) {
        var block = list.children[problem.block];
        block.setAttribute("aria-invalid", "true");
        var input = block.querySelector('[data-field="' + problem.field + '"]');
        if (input) { input.setAttribute("aria-invalid", "true"); }
      }
    });
  }

  function showPreview(data) {
    document.getElementById("preview-desktop").srcdoc = data.html;
    document.getElementById("preview-mobile").srcdoc = data.html;
    document.getElementById("design-preview-subject").textContent = data.subject || "";
    document.getElementById("design-preview-text").textContent = data.text || "";
  }

  function refresh(note) {
    var mine = ++sequence;
    post(root.getAttribute("data-preview-url")).then(function (data) {
      if (mine !== sequence) { return; }
      showErrors(data.errors || []);
      if (data.html) { showPreview(data); statusLine.textContent = note || t("Preview updated."); }
    });
  }

  function changed() {
    statusLine.textContent = t("Unsaved changes.");
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(); }, 300);
  }

  document.querySelectorAll("[data-design-field]").forEach(function (input) {
    var name = input.getAttribute("data-design-field");
    input.value = design[name] || "";
    input.addEventListener("input", function () { design[name] = input.value; changed(); });
  });
  document.getElementById("add-block").addEventListener("click", function () {
    var type = document.getElementById("add-block-type").value;
    design.blocks.push(JSON.parse(JSON.stringify(STARTERS[type])));
    draw();
    focusBlock(design.blocks.length - 1);
    changed();
  });
  document.getElementById("save-design").addEventListener("click", function () {
    clearTimeout(timer);
    statusLine.textContent = t("Saving…");
    post(root.getAttribute("data-save-url")).then(function (data) {
      showErrors(data.errors || []);
      statusLine.textContent = data.saved ? t("Design saved.") : t("Not saved: see the problems above.");
      if (data.saved) { refresh(t("Design saved.")); }
    });
  });
  document.getElementById("send-design-test").addEventListener("click", function () {
    var result = document.getElementById("design-test-result");
    var to = document.getElementById("design-test-to");
    result.textContent = t("Sending…");
    post(document.getElementById("design-test").getAttribute("data-test-url"), { design: design, to: to.value })
      .then(function (data) {
        var errors = data.errors || [];
        result.className = errors.length ? "small field-error" : "small";
        result.textContent = data.sent ? data.notice : errors.map(function (p) { return p.message; }).join(" ");
        if (errors.length) { to.setAttribute("aria-invalid", "true"); } else { to.removeAttribute("aria-invalid"); }
      });
  });
  draw();
})();
