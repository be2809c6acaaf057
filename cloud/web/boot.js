// The panel's watchdog, a classic script that runs before the app's modules: on a flaky connection a module
// can fail to load or the first answer never come, and the page would say "Đang tải…" for ever. It shows a
// notice with a reload button instead:
// - at once when one of the app's modules fails to download ("failed"), or fails to run (a parse or start-up
//   error, e.g. a browser too old for the panel: "error");
// - when the app has not said it started (app.js calls window.loaReady() once its session is known, i.e. its
//   first GET /api/v1/me answered) after BOOT_PATIENCE_MS ("slow"); that notice goes away if it does start.
// Bilingual like <noscript>: the language setting lives in the app's modules.
(function () {
  var BOOT_PATIENCE_MS = 20000;
  var TEXT = {
    failed: "Không tải được bảng điều khiển. Kiểm tra kết nối mạng rồi tải lại trang. / The panel could not load.",
    error: "Bảng điều khiển gặp lỗi khi khởi động. Hãy tải lại trang; nếu vẫn lỗi, hãy dùng trình duyệt mới hơn (Chrome, Firefox). / The panel failed to start.",
    slow: "Bảng điều khiển tải lâu hơn bình thường. Kiểm tra kết nối mạng hoặc tải lại trang. / The panel is slow to load.",
  };
  var ready = false;
  var notice = null;

  function show(kind) {
    if (ready) return;
    // A failure stays on screen: the later "slow" must not replace it.
    if (notice && notice.dataset.boot !== "slow") return;
    if (notice) notice.remove();
    notice = document.createElement("div");
    notice.className = "boot-notice alert " + (kind === "slow" ? "alert-warn" : "alert-error");
    notice.setAttribute("role", "alert");
    notice.dataset.boot = kind;
    var text = document.createElement("p");
    text.textContent = TEXT[kind];
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
    show("slow");
  }, BOOT_PATIENCE_MS);

  window.loaReady = function () {
    ready = true;
    clearTimeout(timer);
    if (notice) notice.remove();
    notice = null;
  };

  // A module graph that fails to download fires "error" at its <script>, which does not bubble: listen in the
  // capture phase (the element is not parsed yet when this runs). A module that downloads but does not parse
  // or throws while it runs reports an ErrorEvent on window instead, naming its file.
  window.addEventListener(
    "error",
    function (e) {
      var el = e.target;
      if (el && el.tagName === "SCRIPT" && el.type === "module") show("failed");
      else if (e instanceof ErrorEvent && e.filename && e.filename.indexOf(location.origin + "/") === 0) show("error");
    },
    true,
  );
})();
