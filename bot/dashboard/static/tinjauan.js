// Tinjauan's keys: a approves, k goes to the send-back reason, n opens the next report. Only a help: every action
// is a plain form or link that works without this file. Keys typed into a field are text, never an action.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
    return;
  }
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) {
    return;
  }
  var key = event.key.toLowerCase();
  if (key === "a") {
    var approve = document.getElementById("form-setujui");
    if (approve) {
      event.preventDefault();
      approve.requestSubmit ? approve.requestSubmit() : approve.submit();
    }
  } else if (key === "k") {
    var reason = document.getElementById("alasan");
    if (reason) {
      event.preventDefault();
      reason.focus();
    }
  } else if (key === "n") {
    var next = document.getElementById("berikutnya");
    if (next) {
      event.preventDefault();
      window.location.assign(next.href);
    }
  }
});
