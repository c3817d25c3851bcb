/*
 * The "Notify me" block's form: hands its fields to the storefront snippet's storeflow.notify(),
 * which posts them to Storeflow with the shop's storefront key. The snippet comes with the
 * Storeflow app embed; without it the form says so instead of failing silently.
 */
(function () {
  "use strict";

  function chosenVariant(form) {
    var fromAddress = new URL(location.href).searchParams.get("variant");
    return fromAddress || form.elements.variant_id.value;
  }

  function onSubmit(event) {
    var form = event.target.closest ? event.target.closest("form[data-storeflow-notify]") : null;
    if (!form) return;
    event.preventDefault();
    var status = form.querySelector("[data-storeflow-notify-status]");
    if (!window.storeflow || typeof window.storeflow.notify !== "function") {
      status.textContent = form.getAttribute("data-unavailable");
      return;
    }
    var fields = {
      email: form.elements.email.value,
      product_id: form.elements.product_id.value,
      variant_id: chosenVariant(form),
      subscribe: Boolean(form.elements.subscribe && form.elements.subscribe.checked)
    };
    window.storeflow.notify(fields).then(function (ok) {
      status.textContent = form.getAttribute(ok ? "data-done" : "data-failed");
      if (ok) form.reset();
    });
  }

  document.addEventListener("submit", onSubmit);
})();
