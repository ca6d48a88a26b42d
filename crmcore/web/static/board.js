// Drag deal cards between stage columns with pointer events (mouse, pen and touch alike); no libraries.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var errorBox = document.getElementById("board-error");
  var dragging = null, ghost = null, startX = 0, startY = 0, moved = false, over = null;

  function columnAt(x, y) {
    if (ghost) { ghost.style.display = "none"; }
    var el = document.elementFromPoint(x, y);
    if (ghost) { ghost.style.display = ""; }
    return el ? el.closest(".crm-column") : null;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.remove("d-none");
  }

  function applyFigures(columns) {
    Object.keys(columns).forEach(function (stageId) {
      var col = board.querySelector('.crm-column[data-stage-id="' + stageId + '"]');
      if (!col) { return; }
      col.querySelector(".crm-count").textContent = columns[stageId].count;
      col.querySelector(".crm-weighted").textContent = columns[stageId].weighted;
    });
  }

  function move(card, from, to) {
    var heading = to.querySelector(".crm-figures");
    heading.parentNode.insertBefore(card, heading.nextSibling);
    fetch(board.getAttribute("data-move-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token},
      body: JSON.stringify({deal_id: parseInt(card.getAttribute("data-deal-id"), 10),
                            stage_id: parseInt(to.getAttribute("data-stage-id"), 10)})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok) {
        var fromHeading = from.querySelector(".crm-figures");
        fromHeading.parentNode.insertBefore(card, fromHeading.nextSibling);
        showError(result.body.message || "Error");
        return;
      }
      errorBox.classList.add("d-none");
      applyFigures(result.body.columns);
    }).catch(function () {
      var fromHeading = from.querySelector(".crm-figures");
      fromHeading.parentNode.insertBefore(card, fromHeading.nextSibling);
      showError("Network error");
    });
  }

  board.addEventListener("pointerdown", function (event) {
    var card = event.target.closest(".crm-deal");
    if (!card || event.target.closest("a") || event.button > 0) { return; }
    dragging = card; moved = false; startX = event.clientX; startY = event.clientY;
    card.setPointerCapture(event.pointerId);
  });

  board.addEventListener("pointermove", function (event) {
    if (!dragging) { return; }
    var dx = event.clientX - startX, dy = event.clientY - startY;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 6) { return; }
    if (!moved) {
      moved = true;
      dragging.classList.add("crm-dragging");
      ghost = dragging.cloneNode(true);
      ghost.style.position = "fixed"; ghost.style.pointerEvents = "none"; ghost.style.zIndex = 1000;
      ghost.style.width = dragging.offsetWidth + "px";
      document.body.appendChild(ghost);
    }
    ghost.style.left = (event.clientX - 20) + "px";
    ghost.style.top = (event.clientY - 10) + "px";
    var column = columnAt(event.clientX, event.clientY);
    if (over && over !== column) { over.classList.remove("crm-over"); }
    over = column;
    if (over) { over.classList.add("crm-over"); }
    event.preventDefault();
  });

  function finish(event) {
    if (!dragging) { return; }
    var card = dragging, from = card.closest(".crm-column");
    dragging = null;
    card.classList.remove("crm-dragging");
    if (ghost) { ghost.remove(); ghost = null; }
    if (over) { over.classList.remove("crm-over"); }
    var to = moved && event.type === "pointerup" ? columnAt(event.clientX, event.clientY) : null;
    over = null;
    if (to && to !== from) { move(card, from, to); }
  }
  board.addEventListener("pointerup", finish);
  board.addEventListener("pointercancel", finish);
})();
