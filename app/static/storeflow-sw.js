/*
 * Storeflow's service worker: shows the web push notifications a shop's flows send, and opens the
 * message's page when the shopper taps one. Browsers only deliver push to a worker on the page's
 * own origin: on Shopify the app proxy serves it as /apps/storeflow/sw.js; a headless storefront
 * serves it as /storeflow-sw.js (or the path named in the snippet's data-push-worker attribute),
 * see docs/storefront.md. The payload is {"title", "body", "url", "ref"}.
 */
self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {body: event.data ? event.data.text() : ""};
  }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "",
    tag: data.ref || undefined,
    data: {url: data.url || "/"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
