// The panel's watchdog, a classic script that runs before the app's modules: on a flaky connection a module
// can fail to load or the first answer never come, and the page would say "Đang tải…" for ever. It shows a
// notice with a reload button instead: at once when the app's scripts fail to load, or when the app has not
// said it is ready (app.js: window.loaReady()) after BOOT_PATIENCE_MS. The notice goes away if the app
// becomes ready after all. Bilingual like <noscript>: the language setting lives in the app's modules.
(function () {
  var BOOT_PATIENCE_MS = 20000;
  var ready = false;
  var notice = null;

  function show(failed) {
    if (ready) return;
    if (notice) notice.remove();
    notice = document.createElement("div");
    notice.className = "boot-notice alert " + (failed ? "alert-error" : "alert-warn");
    notice.setAttribute("role", "alert");
    notice.dataset.boot = failed ? "failed" : "slow";
    var text = document.createElement("p");
    text.textContent = failed
      ? "Không tải được bảng điều khiển. Kiểm tra kết nối mạng rồi tải lại trang. / The panel could not load."
      : "Bảng điều khiển tải lâu hơn bình thường. Kiểm tra kết nối mạng hoặc tải lại trang. / The panel is slow to load.";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = "Tải lại trang / Reload";
    button.addEventListener("click", function () {
      location.reload();
    });
    notice.append(text, button);
    document.body.append(notice);
  }

  var timer = setTimeout(function () {
    show(false);
  }, BOOT_PATIENCE_MS);

  window.loaReady = function () {
    ready = true;
    clearTimeout(timer);
    if (notice) notice.remove();
    notice = null;
  };

  // A module graph that fails to fetch fires "error" at its <script>, which does not bubble: listen in the
  // capture phase (the element is not parsed yet when this runs).
  window.addEventListener(
    "error",
    function (e) {
      var el = e.target;
      if (el && el.tagName === "SCRIPT" && el.type === "module") show(true);
    },
    true,
  );
})();
