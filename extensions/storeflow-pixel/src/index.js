// Storeflow web pixel: Shopify's customer events mapped onto Storeflow's storefront events
// (the same endpoint and body as app/static/storeflow.js). Runs in Shopify's strict sandbox, so
// requests carry an opaque origin; Storeflow accepts them for the shop whose storefront key is in
// the settings when the reported page is on one of the shop's own origins. Events name ids only
// (messages show the catalogue's titles, prices and links), and the pixel does not say who is
// logged in: anyone can post here, so Storeflow links a browser only through a proof (its signed
// link, a checkout, or a login Shopify's app proxy signs).
import {register} from "@shopify/web-pixels-extension";

const COOKIE = "sf_vid";
const ONE_YEAR = 31536000;

register(async ({analytics, browser, init, settings}) => {
  const endpoint = `${settings.endpoint}?k=${encodeURIComponent(settings.storefrontKey)}`;
  let link = new URL(init.context.document.location.href).searchParams.get("sf_c");

  async function visitorId() {
    let id = await browser.cookie.get(COOKIE);
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id || "")) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    }
    await browser.cookie.set(`${COOKIE}=${id}; Max-Age=${ONE_YEAR}; Path=/; SameSite=Lax; Secure`);
    return id;
  }

  async function send(event, page) {
    const body = {visitor: await visitorId(), events: [event], page};
    if (link) body.link = link;
    link = null;
    await browser.sendBeacon(endpoint, JSON.stringify(body));
  }

  analytics.subscribe("product_viewed", (event) => {
    const variant = event.data.productVariant;
    send(
      {
        type: "product_viewed",
        product_id: variant.product.id,
        variant_id: variant.id,
      },
      event.context.document.location.href,
    );
  });

  analytics.subscribe("collection_viewed", (event) => {
    const {collection} = event.data;
    send(
      {type: "collection_viewed", collection_id: collection.id},
      event.context.document.location.href,
    );
  });

  analytics.subscribe("search_submitted", (event) => {
    send(
      {type: "search_submitted", search_query: event.data.searchResult.query.slice(0, 255)},
      event.context.document.location.href,
    );
  });

  // The cart's token as carts/create and carts/update webhooks name it: gid://shopify/Cart/<token>?key=...
  function cartToken(cart) {
    const token = cart?.id?.replace("gid://shopify/Cart/", "").split("?")[0];
    return token ? {cart_token: token} : {};
  }

  analytics.subscribe("product_added_to_cart", (event) => {
    const line = event.data.cartLine;
    send(
      {
        type: "product_added_to_cart",
        product_id: line.merchandise.product.id,
        variant_id: line.merchandise.id,
        quantity: line.quantity,
        ...cartToken(init.data.cart),
      },
      event.context.document.location.href,
    );
  });

  analytics.subscribe("checkout_started", (event) => {
    send(
      {type: "checkout_started", checkout_token: event.data.checkout.token},
      event.context.document.location.href,
    );
  });
});
