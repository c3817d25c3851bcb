/*
 * Storeflow storefront snippet: tells Storeflow what a shopper looks at, for browse, search and
 * cart abandonment flows. No dependencies, about 4 kB compressed. Install with:
 *
 *   <script src="https://APP_URL/storefront/storeflow.js?k=STOREFRONT_KEY" async></script>
 *
 * (the key may also be given as data-key, as older tags loading APP_URL/static/storeflow.js do)
 *
 * then report what happens on the page:
 *
 *   storeflow.track("product_viewed", {product_id: "123", variant_id: "9"});
 *   storeflow.track("collection_viewed", {collection_id: "45"});
 *   storeflow.track("search_submitted", {search_query: "linen shirt"});
 *   storeflow.track("product_added_to_cart", {product_id: "123", variant_id: "9", quantity: 1});
 *   storeflow.track("wishlist_added", {product_id: "123"});
 *   storeflow.track("checkout_started", {checkout_token: "<the checkout's token>"});
 *   storeflow.notify({email: "a@b.example", product_id: "123", variant_id: "9", subscribe: false})
 *     .then(function (ok) { ... });   // "notify me when available" for an out-of-stock variant
 *
 * A product added to a platform cart may carry cart_token: the cart is then linked to the shopper.
 * Events name ids only: messages show the title, price, image and link the store's catalogue has,
 * so anything else an event carries is ignored.
 *
 * Web push: a button marked data-storeflow-push asks the shopper for notifications when clicked
 * (or call storeflow.enablePush() from your own click handler). Storeflow never asks on page load:
 * browsers punish sites that do, and shoppers say no to a prompt they did not ask for.
 *
 *   <button type="button" data-storeflow-push>Get updates</button>
 *   storeflow.enablePush().then(function (ok) { ... });   // ok: subscribed
 *   storeflow.disablePush();
 *
 * Push needs Storeflow's service worker on the storefront's own origin. On Shopify the theme's app
 * embed block loads this snippet through the app proxy (/apps/storeflow/storeflow.js), and the
 * worker is registered from /apps/storeflow/sw.js: nothing to copy. Elsewhere serve
 * APP_URL/storefront/storeflow-sw.js as /storeflow-sw.js (or name another path in data-push-worker);
 * docs/storefront.md says how.
 * Posts report the browser's time zone, so messages arrive in the shopper's own hours.
 *
 * Through Shopify's app proxy the snippet also loads the signup forms (PROXY/forms.js) when the shop
 * has them, unless its tag says data-forms="off" (the app embed's "Show signup forms" switch).
 *
 * Calls made before the script loads are queued: window.storeflow = window.storeflow || [];
 * storeflow.push(["track", "product_viewed", {...}]).
 *
 * The visitor is a random id in a first-party cookie (sf_vid, one year). When the shopper arrives
 * through one of Storeflow's email or SMS links, the URL carries sf_c (a signed "who clicked"):
 * it is sent with the next events, which links this browser to the shopper, and is then removed
 * from the address bar. A page cannot say who is logged in: anyone could write any customer id,
 * so only a proof links a browser (our signed link, a checkout, or a login Shopify's app proxy
 * signs). storeflow.identify() is kept so pages that call it keep working; it does nothing.
 * Events go out in small batches as text/plain (no CORS preflight), with navigator.sendBeacon
 * when the page is being left.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.storeflow && window.storeflow.track) return;
  // Served through Shopify's app proxy, the snippet comes with its shop's settings in front of it.
  var settings = window.storeflowSettings || {};
  var source = new URL(script.src, location.href);
  var key = script.getAttribute("data-key") || settings.key || source.searchParams.get("k");
  var base = settings.app || source.origin;
  var proxy = settings.proxy || null;
  var query = "?k=" + encodeURIComponent(key || "");
  // Through the proxy Shopify signs each post, which also proves who is logged in.
  var endpoint = proxy ? proxy + "/events" : base + "/storefront/events" + query;
  var pushWorker = script.getAttribute("data-push-worker") || (proxy ? proxy + "/sw.js" : "/storeflow-sw.js");
  var COOKIE = "sf_vid";
  var MAX_BATCH = 10;
  var queue = [];
  var link = null;
  var timer = null;

  function randomId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function visitorId() {
    var match = document.cookie.match(/(?:^|;\s*)sf_vid=([A-Za-z0-9_-]{16,64})/);
    var id = match ? match[1] : randomId();
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + id + "; Max-Age=31536000; Path=/; SameSite=Lax" + secure;
    return id;
  }

  function takeClickLink() {
    var url = new URL(location.href);
    var value = url.searchParams.get("sf_c");
    if (!value) return;
    link = value;
    url.searchParams.delete("sf_c");
    if (history.replaceState) history.replaceState(history.state, "", url.toString());
  }

  function send(useBeacon) {
    clearTimeout(timer);
    timer = null;
    while (queue.length) {
      var body = {visitor: visitorId(), events: queue.splice(0, MAX_BATCH), page: location.href};
      var zone = timeZone();
      if (zone) body.timezone = zone;
      if (link) body.link = link;
      var data = JSON.stringify(body);
      if (useBeacon && navigator.sendBeacon) {
        navigator.sendBeacon(endpoint, new Blob([data], {type: "text/plain"}));
      } else {
        fetch(endpoint, {method: "POST", body: data, keepalive: true, headers: {"Content-Type": "text/plain"}})
          .catch(function () {});
      }
      link = null;  // one link is enough: the server remembers the visitor
    }
  }

  function track(type, fields) {
    var event = {type: type};
    for (var name in fields || {}) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) event[name] = fields[name];
    }
    queue.push(event);
    if (queue.length >= MAX_BATCH) send(false);
    else if (!timer) timer = setTimeout(function () { send(false); }, 1000);
  }

  function identify() {}  // see above: a page's word about who is logged in links nobody

  function notify(fields) {
    var form = new URLSearchParams();
    ["email", "product_id", "variant_id"].forEach(function (name) { if (fields[name]) form.set(name, fields[name]); });
    if (fields.subscribe) form.set("subscribe", "on");
    return fetch(base + "/storefront/notify" + query, {method: "POST", body: form})
      .then(function (response) { return response.ok; });
  }

  function timeZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; }
  }

  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(text) {
    var base64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function pushRegistration() {
    return navigator.serviceWorker.register(pushWorker).then(activated);
  }

  // Wait for this registration's own worker, not serviceWorker.ready: a worker scoped to the proxy's
  // path (/apps/storeflow/) controls no shop page, and push needs no more than its being active.
  function activated(registration) {
    var worker = registration.installing || registration.waiting;
    if (registration.active || !worker) return registration;
    return new Promise(function (resolve) {
      worker.addEventListener("statechange", function () {
        // A worker that failed to install ends "redundant": subscribing then fails, and says so.
        if (worker.state === "activated" || worker.state === "redundant") resolve(registration);
      });
    });
  }

  // Ask for notifications and hand the subscription to Storeflow. Call it only from a shopper's click.
  function enablePush() {
    if (!pushSupported()) return Promise.resolve(false);
    // Asked first, while the click still counts as the shopper's gesture (Safari requires it).
    var asked = Notification.requestPermission();
    return Promise.resolve(asked).then(function (state) {
      if (state !== "granted") return false;
      return Promise.all([
        pushRegistration(),
        fetch(base + "/storefront/push/key" + query).then(function (response) { return response.json(); })
      ]).then(function (found) {
        var manager = found[0].pushManager;
        return manager.getSubscription().then(function (existing) {
          return existing || manager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(found[1].public_key)});
        });
      }).then(function (subscription) {
        var body = {visitor: visitorId(), subscription: subscription.toJSON(), timezone: timeZone()};
        return fetch(base + "/storefront/push" + query,
                     {method: "POST", body: JSON.stringify(body), headers: {"Content-Type": "text/plain"}});
      }).then(function (response) { return response.ok; });
    }).catch(function () { return false; });
  }

  function disablePush() {
    if (!pushSupported()) return Promise.resolve(false);
    return navigator.serviceWorker.getRegistration(pushWorker).then(function (registration) {
      return registration && registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return false;
      var body = JSON.stringify({visitor: visitorId(), endpoint: subscription.endpoint});
      return subscription.unsubscribe().then(function () {
        return fetch(base + "/storefront/push/unsubscribe" + query,
                     {method: "POST", body: body, headers: {"Content-Type": "text/plain"}});
      }).then(function (response) { return response.ok; });
    }).catch(function () { return false; });
  }

  function onPushButton(event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-storeflow-push]") : null;
    if (!button) return;
    event.preventDefault();
    enablePush().then(function (ok) { button.setAttribute("data-storeflow-push", ok ? "subscribed" : "refused"); });
  }

  // A browser without push gets no button that cannot work (the app embed's CSS hides it).
  function markPushUnsupported() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-storeflow-push]"), function (button) {
      button.setAttribute("data-storeflow-push", "unsupported");
    });
  }

  // The signup forms come from the same proxy path. Their calls go to Storeflow itself (data-api), not
  // through the proxy, which would give every shopper the proxy's address and so one shared rate limit.
  function loadForms() {
    var forms = document.createElement("script");
    forms.src = proxy + "/forms.js";
    forms.setAttribute("data-key", key);
    forms.setAttribute("data-api", base);
    forms.async = true;
    document.head.appendChild(forms);
  }

  function whenParsed(run) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
    else run();
  }

  var api = {track: track, identify: identify, notify: notify, enablePush: enablePush, disablePush: disablePush,
             push: function (call) { return api[call[0]].apply(null, call.slice(1)); }};
  var waiting = Array.isArray(window.storeflow) ? window.storeflow : [];
  window.storeflow = api;
  takeClickLink();
  waiting.forEach(api.push);
  document.addEventListener("click", onPushButton);
  if (!pushSupported()) whenParsed(markPushUnsupported);
  if (proxy && settings.forms && script.getAttribute("data-forms") !== "off") loadForms();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send(true);
  });
})();
