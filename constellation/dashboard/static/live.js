// Live refresh without a full reload: every data-refresh-ms, fetch this page
// with ?fragment=1 and swap the #live part. Open <details> stay open.
(function () {
  var ms = parseInt(document.body.dataset.refreshMs || "2000", 10);
  var live = document.getElementById("live");
  var badge = document.getElementById("refresh");
  if (!live) return;
  function tick() {
    var u = new URL(window.location.href);
    u.searchParams.set("fragment", "1");
    fetch(u, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var open = {};
        live.querySelectorAll("details[open] summary").forEach(function (s) { open[s.textContent] = true; });
        live.innerHTML = html;
        live.querySelectorAll("details summary").forEach(function (s) { if (open[s.textContent]) s.parentNode.open = true; });
        if (badge) { badge.textContent = "live · " + new Date().toLocaleTimeString(); badge.className = "muted"; }
      })
      .catch(function (e) { if (badge) { badge.textContent = "refresh failed (" + e.message + ")"; badge.className = "bad"; } })
      .finally(function () { setTimeout(tick, ms); });
  }
  setTimeout(tick, ms);
})();
