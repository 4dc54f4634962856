// The live queue page's service worker (office/push_pages.py): shows the office's two reminders
// (office/push.py) and opens the ticket's page when one is tapped.  Nothing is cached: the page is live.
"use strict";
self.addEventListener("push", function (event) {
  var m = {};
  try { m = event.data ? event.data.json() : {}; } catch (e) { m = {}; }
  event.waitUntil(self.registration.showNotification(m.title || "", {
    body: m.body || "", lang: m.lang || "", tag: m.number || "queue", renotify: true,
    requireInteraction: m.kind === "called", data: {url: m.url || "/q/"}
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/q/";
  event.waitUntil(self.clients.matchAll({type: "window"}).then(function (open) {
    for (var i = 0; i < open.length; i++) {
      if (open[i].url.indexOf(url) !== -1 && "focus" in open[i]) return open[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
