"""The storefront doors: event beacons, the notify-me form and push signup."""
