// The simulator page: show the latest message and put the cursor in the message box. The page works without it.
document.addEventListener("DOMContentLoaded", function () {
  var end = document.getElementById("akhir");
  if (end) { end.scrollIntoView({block: "end"}); }
  var box = document.getElementById("teks");
  if (box) { box.focus(); }
});
